"""The live websockets: endpoints, catch-up, the hub (in-process or over Redis), the server protocol, frames."""
