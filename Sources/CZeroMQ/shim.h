#ifndef MAHAVISHNU_CZEROMQ_SHIM_H
#define MAHAVISHNU_CZEROMQ_SHIM_H
#include <zmq.h>
#include <errno.h>
#include <sys/eventfd.h>
#include <sys/epoll.h>
#endif
