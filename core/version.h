/* The hvsim version, recorded in snapshot files and printed by --version. */
#ifndef HVSIM_CORE_VERSION_H
#define HVSIM_CORE_VERSION_H
#define HVSIM_VERSION "0.1.0"
#endif
