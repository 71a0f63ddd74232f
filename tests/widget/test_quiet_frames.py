"""Live frames skip the kernel's "busy" status; everything else keeps both busy and idle."""

from cnnwidget.widget import protocol
from cnnwidget.widget.live.quiet_frames import is_live_frame, quiet_frames, release


class RecordingKernel:
    """The two methods of an ipykernel ``Kernel`` that quiet_frames uses, recording what is published."""

    def __init__(self):
        self.published = []
        self.parent = None

    def _publish_status(self, status, channel, parent=None):
        self.published.append((status, (parent or self.parent)["header"]["msg_id"]))

    def get_parent(self, channel="shell"):
        return self.parent

    def handle(self, message):
        """What ipykernel's dispatch_shell does around a handler: busy, (handler), idle."""
        self.parent = message
        self._publish_status("busy", "shell")
        self._publish_status("idle", "shell")


def comm_msg(msg_id, comm_id, content):
    return {"header": {"msg_id": msg_id, "msg_type": "comm_msg"},
            "content": {"comm_id": comm_id, "data": {"method": "custom", "content": content}}}


def test_only_frames_of_registered_widgets_lose_their_busy_status():
    kernel = RecordingKernel()
    assert quiet_frames("live", kernel=kernel)
    try:
        kernel.handle(comm_msg("f1", "live", {"type": protocol.FRAME, "id": 1}))
        kernel.handle(comm_msg("u1", "live", {"type": protocol.UPLOAD}))
        kernel.handle(comm_msg("f2", "other-widget", {"type": protocol.FRAME, "id": 1}))
        kernel.handle({"header": {"msg_id": "run", "msg_type": "execute_request"}, "content": {"code": "1"}})
    finally:
        release("live", kernel=kernel)
    assert kernel.published == [
        ("idle", "f1"),
        ("busy", "u1"), ("idle", "u1"),
        ("busy", "f2"), ("idle", "f2"),
        ("busy", "run"), ("idle", "run"),
    ]


def test_the_last_release_puts_the_kernels_own_method_back():
    kernel = RecordingKernel()
    quiet_frames("a", kernel=kernel)
    quiet_frames("b", kernel=kernel)
    release("a", kernel=kernel)
    assert "_publish_status" in vars(kernel)  # b still streams
    release("b", kernel=kernel)
    assert "_publish_status" not in vars(kernel)
    kernel.handle(comm_msg("f", "a", {"type": protocol.FRAME}))
    assert kernel.published == [("busy", "f"), ("idle", "f")]


def test_outside_a_kernel_it_does_nothing():
    assert quiet_frames("x") is False  # pytest runs no ipykernel
    release("x")


def test_odd_messages_are_not_frames():
    for message in ({}, {"header": {"msg_type": "comm_msg"}, "content": None},
                    comm_msg("m", "c", "not a dict"), {"header": None}):
        assert not is_live_frame(message)


def test_a_held_frame_publishes_its_idle_only_when_its_job_is_done():
    """idle_after: the frame's handler returns at once; its idle follows the job (its answer),
    also when the job is dropped; the next frame is handled meanwhile with its own bookkeeping."""
    from concurrent.futures import Future

    from cnnwidget.widget.live.quiet_frames import idle_after

    kernel = RecordingKernel()
    quiet_frames("live", kernel=kernel)
    try:
        first, second = Future(), Future()
        for msg_id, job in (("f1", first), ("f2", second)):
            kernel.parent = comm_msg(msg_id, "live", {"type": protocol.FRAME, "id": 1})
            kernel._publish_status("busy", "shell")
            assert idle_after(job, kernel=kernel)  # what the frame handler does
            kernel._publish_status("idle", "shell")
        assert kernel.published == []  # both frames still computing: no idle yet
        second.set_running_or_notify_cancel()
        second.set_result(None)
        first.cancel()  # dropped for the newer frame: its idle still goes out
        kernel.parent = comm_msg("u1", "live", {"type": protocol.UPLOAD})
        assert not idle_after(Future(), kernel=kernel)  # not a frame: the handler must wait itself
        kernel.handle(kernel.parent)
    finally:
        release("live", kernel=kernel)
    assert kernel.published == [("idle", "f2"), ("idle", "f1"), ("busy", "u1"), ("idle", "u1")]
    assert not idle_after(Future(), kernel=kernel)  # released: nothing is held any more
