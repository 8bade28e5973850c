import asyncio
import threading
from collections import Counter
from datetime import datetime, timedelta

import pytest
from typer.testing import CliRunner

from envmon.hj212.codec import Frame, FrameDecoder, FrameError, encode_data_ack
from envmon.registry.credit_code import is_valid_credit_code
from envmon.registry.documents import parse_yaml
from envmon.simulate.client import SimulationStats, run
from envmon.simulate.faults import FaultConfig, parse_faults
from envmon.simulate.sources import PointSpec
from envmon.timeutil import BEIJING

START = datetime(2016, 3, 1, tzinfo=BEIJING)
POINTS = [
    PointSpec("SIMAIR000000000000000001", "111111", "22", "air", "1001A"),
    PointSpec("SIMGAS000000000000000002", "222222", "31", "flue_gas", "DA001", 3.5),
    PointSpec("SIMWW0000000000000000003", "333333", "32", "wastewater", "DW001"),
]


class FakeGateway:
    """Decodes with FrameDecoder; acks good frames of known MN+PW with 9014."""

    def __init__(self, points=POINTS, *, ack=True, ack_everything=False):
        self.known = {p.mn: p.password for p in points}
        self.ack, self.ack_everything = ack, ack_everything
        self.frames: list[Frame] = []
        self.rejected: list[Frame] = []
        self.errors: list[FrameError] = []
        self.reads = 0
        self.connections = 0

    async def handle(self, reader, writer):
        self.connections += 1
        decoder = FrameDecoder()
        try:
            while chunk := await reader.read(65536):
                self.reads += 1
                for item in decoder.feed(chunk):
                    self.receive(item, writer)
        finally:
            writer.close()

    def receive(self, item, writer):
        if isinstance(item, FrameError) or not item.ok:
            self.errors.append(item)
            if self.ack_everything and isinstance(item, Frame):
                writer.write(encode_data_ack(item))
            return
        good = self.known.get(item.mn) == item.pw
        (self.frames if good else self.rejected).append(item)
        if item.ack_requested and self.ack and (good or self.ack_everything):
            writer.write(encode_data_ack(item))

    async def simulate(
        self, faults=FaultConfig(), points=POINTS, **options
    ) -> SimulationStats:
        server = await asyncio.start_server(self.handle, "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        settings = {"rate": 300.0, "duration_s": 0.5, "seed": 1, "kind": "minute"}
        settings.update(options)
        async with server:
            return await run(
                points, "127.0.0.1", port, faults=faults, start=START, **settings
            )


def simulate(gateway=None, **options) -> tuple[SimulationStats, FakeGateway]:
    gateway = gateway or FakeGateway()
    return asyncio.run(gateway.simulate(**options)), gateway


def test_clean_run_every_frame_is_acked():
    stats, gateway = simulate()
    assert stats.sent == 150
    assert stats.sent == stats.expected == stats.acked
    assert stats.unacked == stats.bad == stats.resends == stats.unmatched_acks == 0
    assert stats.ok
    assert stats.connections == gateway.connections == 3
    assert len(gateway.frames) == 150
    assert len({f.qn for f in gateway.frames}) == 150
    assert all(len(f.qn) == 17 and f.qn.isdigit() for f in gateway.frames)
    assert {(f.cn, f.flag) for f in gateway.frames} == {("2051", 5)}
    assert {f.st for f in gateway.frames} == {"22", "31", "32"}
    # each station's DataTime advances one 10-minute interval per frame from START
    times = [f.data_time for f in gateway.frames if f.mn == POINTS[0].mn]
    assert times == [START + timedelta(minutes=10 * i) for i in range(50)]
    assert 0 <= stats.latency_ms(50) <= stats.latency_ms(99) <= stats.latency_ms(100)
    assert stats.bytes_sent == sum(len(f.raw) + 2 for f in gateway.frames)


def test_values_arrive_as_generated():
    _, gateway = simulate(kind="hour", rate=30.0, duration_s=0.1)
    first = next(f for f in gateway.frames if f.mn == POINTS[0].mn)
    assert first.data_time == START
    # extract row 1001A,2016-03-01T01:00,90,...,1700 covers 00:00-01:00
    assert float(first.params["a34004"]["Avg"]) == 90
    assert float(first.params["a21005"]["Avg"]) == 1.7
    flue = next(f for f in gateway.frames if f.mn == POINTS[1].mn)
    assert {"Avg", "Min", "Max", "ZsAvg", "Cou", "Flag"} <= set(flue.params["a21002"])


def test_bad_frames_are_counted_and_not_expected_to_be_acked():
    faults = parse_faults("bad_crc=0.15,unknown_mn=0.1,wrong_pw=0.1")
    stats, gateway = simulate(faults=faults)
    assert stats.sent == 150
    assert stats.bad == sum(
        stats.faults.get(f, 0) for f in ("bad_crc", "unknown_mn", "wrong_pw")
    )
    assert all(
        stats.faults.get(f, 0) > 0 for f in ("bad_crc", "unknown_mn", "wrong_pw")
    )
    assert stats.expected == stats.sent - stats.bad == stats.acked
    assert stats.ok
    assert len(gateway.errors) == stats.faults["bad_crc"]
    assert (
        len(gateway.rejected) == stats.faults["unknown_mn"] + stats.faults["wrong_pw"]
    )


def test_split_and_merged_writes_still_get_every_frame_acked():
    stats, gateway = simulate(faults=parse_faults("split=0.3,merge=0.3"))
    assert stats.faults["split"] > 0
    assert stats.faults["merge"] > 0
    assert stats.writes != stats.sent
    assert stats.sent == stats.expected == stats.acked == len(gateway.frames) == 150
    assert not gateway.errors
    assert stats.ok


def test_resends_are_the_same_bytes_and_acked_too():
    stats, gateway = simulate(faults=parse_faults("resend=0.2"))
    assert stats.resends == stats.faults["resend"] > 0
    assert stats.sent == 150 + stats.resends == stats.expected == stats.acked
    by_qn = Counter(f.qn for f in gateway.frames)
    again = [qn for qn, n in by_qn.items() if n > 1]
    assert sum(by_qn[qn] - 1 for qn in again) == stats.resends
    for qn in again:
        assert len({f.raw for f in gateway.frames if f.qn == qn}) == 1


def test_record_faults_reach_the_gateway():
    faults = parse_faults("gap=0.1,flag=0.1,skew=0.1,exceed=0.1")
    stats, gateway = simulate(faults=faults)
    assert stats.faults["gap"] > 0
    assert stats.sent == 150 - stats.faults["gap"] == stats.acked
    flags = {v["Flag"] for f in gateway.frames for v in f.params.values()}
    assert flags & {"M", "C", "D", "F"}


def test_shared_connections_are_keyed_by_mn():
    stats, gateway = simulate(connections=1)
    assert stats.connections == gateway.connections == 1
    assert stats.acked == stats.sent == 150


def test_missing_acks_fail_the_run():
    stats, _ = simulate(FakeGateway(ack=False), duration_s=0.1, ack_timeout_s=0.2)
    assert stats.sent == stats.expected == stats.unacked == 30
    assert stats.acked == 0
    assert not stats.ok
    assert stats.latency_ms(50) is None


def test_acked_bad_frames_fail_the_run():
    gateway = FakeGateway(ack_everything=True)
    stats, _ = simulate(gateway, faults=parse_faults("wrong_pw=0.3"))
    assert stats.bad_acked == stats.bad > 0
    assert not stats.ok


def test_unreachable_gateway_raises_oserror():
    async def main():
        server = await asyncio.start_server(lambda r, w: None, "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        server.close()
        await server.wait_closed()
        await run(POINTS, "127.0.0.1", port, rate=10, duration_s=0.1, seed=1,
                  faults=FaultConfig(), kind="minute", start=START)  # fmt: skip

    with pytest.raises(OSError):
        asyncio.run(main())


def test_invalid_arguments():
    with pytest.raises(ValueError, match="no points"):
        asyncio.run(FakeGateway().simulate(points=[]))
    with pytest.raises(ValueError, match="rate"):
        asyncio.run(FakeGateway().simulate(rate=0))


# ------------------------------------------------------------------ the CLI command


def test_synthetic_points_and_their_registry_document():
    from envmon.cli.simulate import synthetic_points, synthetic_registry_yaml

    points = synthetic_points(120, seed=5)
    assert points == synthetic_points(120, seed=5)
    assert len({p.mn for p in points}) == 120
    assert all(
        p.mn.startswith("SIM") and len(p.mn) == 24 and p.mn[3:].isdigit()
        for p in points
    )
    assert {p.password for p in points} == {"123456"}
    assert {p.kind for p in points} == {"flue_gas"}
    document = parse_yaml(synthetic_registry_yaml(points))
    assert document.problems == []
    enterprises = [r.value for r in document.records["enterprises"]]
    outlets = [r.value for r in document.records["outlets"]]
    assert len(enterprises) == 3
    assert [r.value.code for r in document.records["regions"]] == [
        "110000",
        "110100",
        "110105",
    ]
    assert all(is_valid_credit_code(e.credit_code) for e in enterprises)
    assert is_valid_credit_code(document.records["agencies"][0].value.credit_code)
    assert {o.mn: o.password for o in outlets} == {p.mn: p.password for p in points}
    assert {o.mn: o.reference_o2 for o in outlets} == {
        p.mn: p.reference_o2 for p in points
    }


class ThreadedGateway:
    """A FakeGateway on its own event loop thread, for the synchronous CLI."""

    def __init__(self, gateway):
        self.gateway, self.loop = gateway, asyncio.new_event_loop()
        self.ready = threading.Event()

    def __enter__(self):
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        future = asyncio.run_coroutine_threadsafe(self._start(), self.loop)
        self.port = future.result(5)
        return self

    async def _start(self):
        self.server = await asyncio.start_server(self.gateway.handle, "127.0.0.1", 0)
        return self.server.sockets[0].getsockname()[1]

    async def _stop(self):
        self.server.close()
        tasks = asyncio.all_tasks() - {asyncio.current_task()}
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await asyncio.sleep(0.01)  # let the transports close

    def __exit__(self, *exc):
        asyncio.run_coroutine_threadsafe(self._stop(), self.loop).result(5)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(5)
        self.loop.close()


def invoke(port, *extra):
    import typer

    from envmon.cli.simulate import simulate as command

    app = typer.Typer()
    app.command()(command)
    args = ["--points-from", "synthetic", "--stations", "4", "--rate", "100"]
    args += ["--duration", "0.2", "--port", str(port), *extra]
    return CliRunner().invoke(app, args)


@pytest.mark.slow
def test_cli_exit_codes():
    from envmon.cli.simulate import synthetic_points

    points = synthetic_points(4, seed=0)
    with ThreadedGateway(FakeGateway(points)) as good:
        result = invoke(good.port, "--faults", "bad_crc=0.2,split=0.2")
    assert result.exit_code == 0, result.output
    assert "acked in time" in result.output
    with ThreadedGateway(FakeGateway(points, ack=False)) as silent:
        result = invoke(silent.port, "--ack-timeout", "0.2")
    assert result.exit_code == 1


def test_cli_rejects_bad_faults_and_kind(tmp_path):
    result = invoke(1, "--faults", "nope=0.1")
    assert result.exit_code == 2
    assert "unknown fault 'nope'" in result.output
    assert invoke(1, "--kind", "daily").exit_code == 2
    out = tmp_path / "sim.yaml"
    result = invoke(1, "--registry-out", str(out))
    assert result.exit_code == 0
    assert parse_yaml(out.read_text("utf-8")).problems == []
