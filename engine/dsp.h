/* dsp.h - the sample loops of the engine: mixing every channel->zone path
 * with its gain ramp, and accumulating meter levels. Everything here runs
 * on the audio thread, touches only the arrays it is given, and is built
 * at -O3 with runtime ISA dispatch (see engine/CMakeLists.txt), because
 * this is where the time goes. */
#ifndef WM_DSP_H
#define WM_DSP_H

#include <stdint.h>

#include "common/rt.h"
#include "engine/ramp.h"

/* Overwrite the outputs with the mix of one period. coef holds
 * channels * zones * 2 ramps in (channel, zone, side) order; side 0 is L.
 * The coefficient (c, z, s) takes in[in_port[c][s]] into out[2 * z + s]
 * and advances its ramp by frames. Inputs and outputs must not overlap. */
WM_RT void wm_dsp_mix_rt(struct wm_ramp *coef, int channels, int zones,
			 const int (*in_port)[2], const float *const *in,
			 float *const *out, uint32_t frames);

/* For each of nbufs buffers b, over frames [offset, offset + frames):
 * raise peak[b] to the largest |x| and add the sum of x*x to sumsq[b]. */
WM_RT void wm_dsp_meter_rt(const float *const *bufs, int nbufs, uint32_t offset,
			   uint32_t frames, float *peak, double *sumsq);

/* Which instruction set the kernels run with on this machine
 * ("avx512f", "avx2", "default"), for logs and benchmarks. */
const char *wm_dsp_isa(void);

#endif
