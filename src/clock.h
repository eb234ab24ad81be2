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

#endif
