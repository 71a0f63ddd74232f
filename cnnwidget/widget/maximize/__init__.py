"""The maximization feature: a checked request (:mod:`.request`) and the explorer's feature (:mod:`.feature`)."""
