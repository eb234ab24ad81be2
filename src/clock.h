/*
 * Copyright (c) 2026 the udproxy authors
 * SPDX-License-Identifier: ISC (see the LICENSE file)
 */
/*
 * Monotonic milliseconds: idle deadlines must not jump with the wall
 * clock. Read once per callback and passed down, never per datagram.
 */
#ifndef UDPROXY_CLOCK_H
#define UDPROXY_CLOCK_H

#include <stdint.h>

uint64_t	clock_ms(void);

/*
 * The callbacks that relay datagrams read the clock once per batch with
 * clock_batch_ms(), which also leaves the same instant in microseconds
 * in clock_batch_us for the latency histograms: no second clock read.
 */
extern _Thread_local uint64_t	clock_batch_us;
uint64_t	clock_batch_ms(void);

#endif
