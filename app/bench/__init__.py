"""`doorbraak bench`: simulated phones over real websockets, measured against a bare websockets baseline."""
