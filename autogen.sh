#!/bin/sh
# Copyright (c) 2026 the udproxy authors
# SPDX-License-Identifier: ISC (see the LICENSE file)
# Regenerate the build system from configure.ac and Makefile.am.
exec autoreconf -fi
