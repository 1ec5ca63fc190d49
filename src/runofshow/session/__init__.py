"""The controller, replay (codec + fold), and the bus that carries durable records to every subscriber."""
