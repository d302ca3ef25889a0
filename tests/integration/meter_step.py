"""The resolution of a float32 kWh energy register (the SDM meters' import energy)."""

from __future__ import annotations

import math


def f32_step_wh(wh: float) -> float:
    """The step of a float32 kWh register at ``wh`` (one unit in the last place).

    A session's energy is the difference of two readings, each rounded to the
    Wh: exact to 1 Wh plus this step (0.06 Wh at 1,000 kWh, 0.12 at 1,270).
    """
    return 1000 * 2.0 ** (math.frexp(wh / 1000)[1] - 24)
