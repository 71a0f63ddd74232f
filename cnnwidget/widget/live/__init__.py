"""Live mode: the feature (:mod:`.feature`), its thread (:mod:`.worker`), its figures (:mod:`.stats`) and the
kernel status messages it keeps quiet (:mod:`.quiet_frames`)."""
