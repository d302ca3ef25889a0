"""Asyncio serial ports (the project's only pyserial importer is :mod:`.port`)."""
