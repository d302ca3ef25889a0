"""Simulated OCPP charge points: the client side of OCPP-J, over real websockets."""
