"""One exception hierarchy for every driver; third-party errors are mapped to it."""


class DriverError(Exception):
    """A device or bus could not be used as asked."""


class ProfileError(DriverError):
    """A profile file is malformed or names something unknown."""


class DeviceTimeout(DriverError):
    """The device did not answer in time."""


class BusError(DriverError):
    """The bus itself failed: port missing, connection refused, framing broken."""


class DeviceFault(DriverError):
    """The device answered with a Modbus exception or an impossible value."""

    def __init__(self, message: str, exception_code: int | None = None) -> None:
        super().__init__(message)
        self.exception_code = exception_code
