# SPDX-License-Identifier: Apache-2.0
"""Exceptions and warnings of the qc package."""


class CompileError(RuntimeError):
    """Import, calibration, a pass, code generation or linking failed.

    The message is the compiler's diagnostic text: one line per error,
    warning or note, "file:line:col: severity: message" where a location is
    known (the same text qc-compile prints).
    """


class QCWarning(UserWarning):
    """A warning from the compiler, e.g. a skipped calibration sample."""
