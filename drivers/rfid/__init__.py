"""RFID readers on serial ports: RDM6300 (125 kHz), PN532 over UART, line readers.

Framing and debouncing are pure (:mod:`.framing`, :mod:`.debounce`,
:mod:`.pn532_host`); :mod:`.reader` runs them on an asyncio serial port.
"""
