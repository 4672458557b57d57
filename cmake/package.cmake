# The Debian package, built by CPack's DEB generator from the install rules:
# scripts/package (a Release build in build-pkg/, prefix /usr), or
# `cpack -G DEB` in any configured and built tree. Whatever `cmake --install`
# puts in place is in the package, so files added by new install() rules
# (the systemd units) are picked up without a change here.
set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME washmix)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "real-time audio mixing daemon for car wash sound systems")
set(CPACK_PACKAGE_DESCRIPTION
  "washmixd is a JACK client that mixes music beds, voice announcements and\n"
  "effects into stereo speaker zones along a wash tunnel: per channel gain,\n"
  "fader, pan, mute, solo, zone sends, file players and automatic ducking,\n"
  "a limiter on every zone, scenes, and offline renders with loudness\n"
  "normalisation cached in Redis. It is steered over a Unix socket (the\n"
  "washmix command) and over OSC.")
string(CONCAT CPACK_PACKAGE_DESCRIPTION ${CPACK_PACKAGE_DESCRIPTION})
set(WASHMIX_PACKAGE_MAINTAINER
    "Seed 82cc19c4 maintainers <maintainers@users.noreply.r-seed-82cc19c4.example>"
    CACHE STRING "Maintainer field of the Debian package")
set(CPACK_DEBIAN_PACKAGE_MAINTAINER ${WASHMIX_PACKAGE_MAINTAINER})
set(CPACK_DEBIAN_PACKAGE_RELEASE 1)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION sound)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
# Library dependencies from the binaries (dpkg-shlibdeps, in dpkg-dev); the
# servers washmixd talks to may run on another machine, so only recommended.
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_RECOMMENDS "jackd2, redis-server")
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA
    ${PROJECT_SOURCE_DIR}/scripts/debian/postinst ${PROJECT_SOURCE_DIR}/scripts/debian/postrm)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION TRUE)
# The package installs where the build was configured to (the man pages name
# that prefix's docdir); scripts/package configures /usr.
set(CPACK_PACKAGING_INSTALL_PREFIX ${CMAKE_INSTALL_PREFIX})
set(CPACK_STRIP_FILES TRUE)
include(CPack)
