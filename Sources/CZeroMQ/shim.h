#ifndef MAHAVISHNU_CZEROMQ_SHIM_H
#define MAHAVISHNU_CZEROMQ_SHIM_H
#include <zmq.h>
#include <errno.h>
#include <sys/eventfd.h>
#endif
