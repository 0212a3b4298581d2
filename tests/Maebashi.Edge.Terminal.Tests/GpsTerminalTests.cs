using System.Text;
using Maebashi.Edge.Contract.Messages;
using Maebashi.Edge.Contract.Registry;
using Maebashi.Edge.Emulation.Gps;
using Maebashi.Edge.Terminal.Config;
using Maebashi.Edge.Terminal.Emulation.Gps;
using Maebashi.Edge.Terminal.Gps;
using Maebashi.Edge.Terminal.Hosting;
using Maebashi.Edge.Terminal.Taps;
using Maebashi.Edge.Terminal.Uplink;
using Microsoft.Extensions.Time.Testing;
using MQTTnet;

namespace Maebashi.Edge.Terminal.Tests;

/// <summary>The GPS in the bus terminal: taps, the driver's word, the position in status, the NMEA line (issue 16).</summary>
[Trait("Category", "Gtfs")]
public class GpsTerminalTests
{
    private const string Card = "04A1B2C3D4E5F6";

    [Fact]
    public void Taps_carry_the_stop_the_gps_detected_and_where_it_came_from()
    {
        using var site = new TestSite();
        using var storage = new MemoryLedgerStorage();
        using var rig = new PipelineRig(site.Options, storage);
        RouteDef route = GpsReplay.Straight("G", 5, 300);
        Assert.Null(rig.Cloud.ApplyConfig(ContractJson.Serialize(GpsReplay.BusConfig(route))));
        var replay = new GpsReplay(route, GpsDrive.Along(route, [route.Patterns![0]], 9, _ => 30), new GpsNoise(15, 7) { Dropouts = false }, rig.Vehicle, rig.Time);

        // Not in service until the GPS finds a stop (or the driver sets one).
        Assert.Equal(Verdict.Refused, rig.Tap(Card, "rear").Verdict);

        replay.RunUntil(() => replay.Passages.Count == 2 && replay.TrulyAt == "G-S02");
        TapEvent board = rig.Tap(Card, "rear").Event!;
        Assert.Equal(("G", "G-S02", StopSources.Gps), (board.Ctx.Route, board.Ctx.Stop, board.Ctx.StopSource));

        replay.RunUntil(() => replay.Vehicle.StopSource == StopSources.Last);
        Assert.Null(replay.TrulyAt); // between stops
        TapEvent between = rig.Tap("04A1B2C3D4E5F7", "rear").Event!;
        Assert.Equal(("G-S02", StopSources.Last), (between.Ctx.Stop, between.Ctx.StopSource));

        replay.RunUntil(() => replay.Passages.Count == 4 && replay.TrulyAt == "G-S04");
        TapEvent alight = rig.Tap(Card, "front").Event!;
        Assert.Equal(("G-S04", StopSources.Gps), (alight.Ctx.Stop, alight.Ctx.StopSource));

        // The event as the ingest receives it.
        string json = Encoding.UTF8.GetString(ContractJson.Serialize(new EventBatch { Device = "BUS0042", Events = [alight] }));
        Assert.Contains("\"stopSource\":\"gps\"", json, StringComparison.Ordinal);
    }

    [Fact]
    public void The_drivers_stop_wins_until_the_gps_arrives_at_a_different_stop()
    {
        using var site = new TestSite();
        using var storage = new MemoryLedgerStorage();
        using var rig = new PipelineRig(site.Options, storage);
        RouteDef route = GpsReplay.Straight("P", 6, 300);
        Assert.Null(rig.Cloud.ApplyConfig(ContractJson.Serialize(GpsReplay.BusConfig(route))));
        var replay = new GpsReplay(route, GpsDrive.Along(route, [route.Patterns![0]], 9, _ => 30), GpsNoise.None, rig.Vehicle, rig.Time);
        replay.RunUntil(() => replay.Passages.Count == 2);
        Assert.Equal(("P-S02", StopSources.Gps), (rig.Vehicle.Stop, rig.Vehicle.StopSource));

        // The driver announces the next stop early, while the bus still stands at P-S02.
        rig.Vehicle.Set(null, "P-S03");
        TapEvent early = rig.Tap(Card, "rear").Event!;
        Assert.Equal(("P-S03", StopSources.Driver), (early.Ctx.Stop, early.Ctx.StopSource));

        // Leaving P-S02 and reaching P-S03 does not take the driver's word away: it is the same stop.
        replay.RunUntil(() => replay.TrulyAt == "P-S03");
        replay.Step();
        Assert.Equal(("P-S03", StopSources.Driver), (rig.Vehicle.Stop, rig.Vehicle.StopSource));
        replay.RunUntil(() => replay.TrulyAt is null);
        Assert.Equal(("P-S03", StopSources.Driver), (rig.Vehicle.Stop, rig.Vehicle.StopSource));

        // Arrival at another stop ends it: the GPS goes on from the driver's stop.
        replay.RunUntil(() => rig.Vehicle.StopSource == StopSources.Gps);
        Assert.Equal("P-S04", rig.Vehicle.Stop);
        Assert.Equal("P-S04", replay.Passages[^1].Stop);
        TapEvent after = rig.Tap("04A1B2C3D4E5F7", "rear").Event!;
        Assert.Equal(("P-S04", StopSources.Gps), (after.Ctx.Stop, after.Ctx.StopSource));

        // The driver's route keeps the run on course, and no route the GPS infers replaces it until the end of the run.
        rig.Vehicle.Set("P", null);
        replay.RunToEnd();
        Assert.Equal(("P", "P-S06", StopSources.Gps), (rig.Vehicle.Route, rig.Vehicle.Stop, rig.Vehicle.StopSource));
        Assert.True(rig.Vehicle.SetDetected("Q", "Q-S01", StopSources.Gps));
        Assert.Equal("P", rig.Vehicle.Route);
        rig.Vehicle.Clear();
        Assert.True(rig.Vehicle.SetDetected("Q", "Q-S01", StopSources.Gps));
        Assert.Equal("Q", rig.Vehicle.Route);
    }

    [Fact]
    public void A_terminal_without_gps_records_the_drivers_stop_as_driver()
    {
        using var site = new TestSite();
        using var storage = new MemoryLedgerStorage();
        using var rig = new PipelineRig(site.Options, storage);
        rig.Cloud.ApplyConfig(SampleConfig.BusBytes());
        rig.Vehicle.Set("R01", "S01");

        TapEvent e = rig.Tap(Card, "rear").Event!;
        Assert.Equal(("S01", StopSources.Driver), (e.Ctx.Stop, e.Ctx.StopSource));
    }

    [Fact]
    public void The_status_carries_the_position_every_10_s_while_moving_and_none_while_parked()
    {
        RouteDef route = GpsReplay.Straight("M", 4, 400);
        int last = route.Stops.Count - 1;
        // Parked 5 minutes at the first stop, a run with 20 s dwells, parked 5 minutes at the end.
        var drive = GpsDrive.Along(route, [route.Patterns![0]], 9, i => i == 0 || i == last ? 300 : 20);
        var replay = new GpsReplay(route, drive, new GpsNoise(15, 3) { Dropouts = false });
        var options = new UplinkOptions();
        var schedule = new StatusSchedule(options);
        var sent = new List<(int Second, VehiclePosition? Position)>();
        while (!replay.Done)
        {
            replay.Step();
            var now = TimeSpan.FromSeconds(replay.Second);
            bool moving = replay.Tracker.Moving;
            if (schedule.Due(now, 0, false, moving))
            {
                sent.Add((replay.Second, replay.Tracker.PositionWhileMoving));
                schedule.Published(now, 0, false);
            }
        }

        int departs = drive.Visits[0].LeftSecond, arrives = drive.Visits[last].Second;
        var parkedBefore = sent.Where(s => s.Second < departs).ToList();
        var run = sent.Where(s => s.Position is not null).ToList();
        var parkedAfter = sent.Where(s => s.Second > arrives + MotionTracker.ParkAfter.TotalSeconds + 1).ToList();

        // Parked: the ordinary status each minute, without a position.
        Assert.All(parkedBefore, s => Assert.Null(s.Position));
        Assert.Equal(5, parkedBefore.Count);
        Assert.All(parkedAfter, s => Assert.Null(s.Position));
        Assert.InRange(parkedAfter.Count, 2, 3);
        // Moving (stops included: a dwell is not parking): a position every 10 s, from within seconds of pulling away.
        Assert.InRange(run[0].Second - departs, 1, 13);
        Assert.All(run.Zip(run.Skip(1)), p => Assert.Equal(10, p.Second.Second - p.First.Second));
        Assert.True(run[^1].Second >= arrives, "positions until the bus parks at the end");
        VehiclePosition p = run[run.Count / 2].Position!;
        Assert.Equal("M", p.Route);
        Assert.Equal(0, p.Direction);
        Assert.InRange(p.Lat, 36.38, 36.41);
    }

    [Fact]
    public async Task Through_the_broker_the_status_carries_the_position_every_10_s_while_moving_and_not_once_parked()
    {
        using var site = new TestSite();
        site.Options.Gps.Port = "test-gps";
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 12, 1, 0, 0, 0, TimeSpan.Zero));
        await using TestBroker broker = await TestBroker.StartAsync(0, new() { ["BUS0042"] = TestSite.DeviceKey });
        site.Options.Broker.Port = broker.Port;
        var gps = new System.IO.Pipelines.Pipe();
        var parts = new TerminalParts { Time = time, Gpio = new System.Device.Gpio.GpioController(new Emulation.Feedback.EmulatedGpioDriver()) };
        parts.GpsLines["test-gps"] = () => gps.Reader.AsStream();
        await using TerminalRuntime t = TerminalRuntime.Create(site.Options, parts);
        var movingChanged = System.Threading.Channels.Channel.CreateUnbounded<bool>();
        t.Gps!.MovingChanged += () => movingChanged.Writer.TryWrite(t.Gps.Moving);
        await using var statuses = await StatusCollector.StartAsync(broker.Port);
        await t.StartAsync();
        DeviceStatus first = await statuses.NextAsync();
        Assert.Null(first.Position);
        DateTimeOffset t0 = time.GetUtcNow();

        // The bus pulls away: fixes at 10 m/s (the receiver's own clock in the sentences).
        var frame = new LocalFrame(36.3895, 139.0634);
        DateTimeOffset fixAt = new(2026, 12, 1, 0, 0, 0, TimeSpan.Zero);
        double north = 0;
        Stream line = gps.Writer.AsStream();
        async Task DriveAsync(int seconds, double speed)
        {
            for (int i = 0; i < seconds; i++)
            {
                north += speed;
                (double lat, double lon) = frame.ToWgs84(0, north);
                await line.WriteAsync(Encoding.ASCII.GetBytes(NmeaSentenceWriter.Sentences(fixAt, new EmulatedFix(lat, lon, speed, 0))));
                fixAt = fixAt.AddSeconds(1);
            }

            await line.FlushAsync();
        }

        await DriveAsync(5, 10);
        Assert.True(await movingChanged.Reader.ReadAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(30)));
        time.Advance(TimeSpan.FromSeconds(10));
        DeviceStatus moving1 = await statuses.NextAsync();
        time.Advance(TimeSpan.FromSeconds(10));
        DeviceStatus moving2 = await statuses.NextAsync();
        Assert.Equal(t0.AddSeconds(10), moving1.At);
        Assert.Equal(t0.AddSeconds(20), moving2.At);
        Assert.NotNull(moving1.Position);
        Assert.Equal(10, moving2.Position!.Speed);
        Assert.True(moving2.Position.Lat > 36.3895);

        // It stands for two minutes: parked. The next status comes on the ordinary interval, without a position.
        await DriveAsync((int)MotionTracker.ParkAfter.TotalSeconds + 2, 0);
        Assert.False(await movingChanged.Reader.ReadAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(30)));
        for (int i = 0; i < 6; i++)
        {
            time.Advance(TimeSpan.FromSeconds(10));
        }

        DeviceStatus parked = await statuses.NextAsync();
        Assert.Equal(t0.AddSeconds(80), parked.At);
        Assert.Null(parked.Position);
    }

    [Fact]
    public async Task The_emulated_receivers_bytes_reach_the_detector_through_the_iot_nmea_parser_at_1_hz_of_injected_time()
    {
        RouteDef route = GpsReplay.Straight("N", 4, 250);
        var drive = GpsDrive.Along(route, [route.Patterns![0]], 10, _ => 15);
        var clock = new FakeTimeProvider(new DateTimeOffset(2026, 12, 1, 3, 0, 0, TimeSpan.Zero));
        var receiver = new EmulatedGpsReceiver(drive, new GpsNoise(15, 9) { Dropouts = false }, clock);
        using var line = new WrittenStream();
        using var cts = new CancellationTokenSource(TimeSpan.FromMinutes(1));
        Task writing = receiver.RunAsync(line, cts.Token);
        await line.Written.WaitAsync(cts.Token); // second 0 at once
        Assert.Equal(Encoding.ASCII.GetByteCount(NmeaSentenceWriter.Sentences(receiver.Start, receiver.FixAt(0))), line.Length);
        for (int s = 1; s < receiver.Length; s++)
        {
            Assert.Equal(0, line.Written.CurrentCount); // nothing before the clock gets there
            clock.Advance(TimeSpan.FromSeconds(1));
            await line.Written.WaitAsync(cts.Token);
        }

        await writing;
        var vehicle = new Roles.VehicleState();
        var tracker = new GpsTracker(vehicle, () => GpsReplay.BusConfig(route));
        var passages = new List<StopPassage>();
        tracker.Passed += passages.Add;
        var fixes = new List<GpsFix>();
        var reader = new NmeaFixReader(receiver.Start);
        line.Position = 0;
        await reader.ReadAsync(line, f =>
        {
            fixes.Add(f);
            tracker.Feed(f);
        }, cts.Token);

        Assert.Equal(0, reader.Rejected);
        Assert.Equal(receiver.Length, fixes.Count);
        Assert.Equal(receiver.Start.AddSeconds(7), fixes[7].At);
        Assert.Equal(Enumerable.Range(0, receiver.Length).Select(s => receiver.FixAt(s) is null), fixes.Select(f => !f.HasFix));
        EmulatedFix sent = receiver.FixAt(40)!.Value;
        Assert.Equal(sent.Lat, fixes[40].Lat, 6);
        Assert.Equal(sent.Lon, fixes[40].Lon, 6);
        Assert.Equal(sent.SpeedMetresPerSecond, fixes[40].Speed!.Value, 1);
        Assert.Equal(8, reader.Satellites);
        Assert.Equal(["N-S01", "N-S02", "N-S03", "N-S04"], passages.Select(p => p.Stop));
    }

    [Fact]
    public async Task A_terminal_with_gps_configured_reads_its_receiver_and_its_taps_and_status_follow_the_geofence()
    {
        using var site = new TestSite();
        site.Options.Gps.Port = "emulated-gps";
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 12, 1, 0, 0, 0, TimeSpan.Zero));
        RouteDef route = GpsReplay.Straight("H", 4, 300);
        var drive = GpsDrive.Along(route, [route.Patterns![0]], 9, _ => 20);
        var receiver = new EmulatedGpsReceiver(drive, new GpsNoise(15, 4) { Dropouts = false }, time);
        var parts = new TerminalParts { Time = time, Gpio = new System.Device.Gpio.GpioController(new Emulation.Feedback.EmulatedGpioDriver()) }
            .AddEmulatedGps("emulated-gps", () => receiver);
        await using TerminalRuntime t = TerminalRuntime.Create(site.Options, parts);
        Assert.Null(t.Cloud.ApplyConfig(ContractJson.Serialize(GpsReplay.BusConfig(route))));
        var passages = new List<string>();
        var lastStop = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        t.Gps!.Passed += p =>
        {
            passages.Add(p.Stop);
            if (p.Stop == "H-S04")
            {
                lastStop.TrySetResult();
            }
        };
        Assert.Null(t.Status("online").Position);

        await t.StartAsync();
        // The whole drive's time at once: the receiver writes every second it has reached; the terminal reads them all.
        time.Advance(TimeSpan.FromSeconds(receiver.Length));
        await lastStop.Task.WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Equal(["H-S01", "H-S02", "H-S03", "H-S04"], passages);
        Assert.Equal(("H", "H-S04", StopSources.Gps), t.Vehicle.Snapshot);
        TapEvent e = t.Pipeline.Tap(new CardRead(Contract.Identity.CardTech.Iso14443A, Convert.FromHexString(Card), "front")).Event!;
        Assert.Equal(("H", "H-S04", StopSources.Gps), (e.Ctx.Route, e.Ctx.Stop, e.Ctx.StopSource));
        VehiclePosition position = t.Status("online").Position!;
        Assert.Equal(("H-S04", VehicleStopStatuses.StoppedAt, 0), (position.Stop, position.StopStatus, position.Direction));
    }

    [Fact]
    public void The_nmea_reader_drops_bad_checksums_and_overlong_lines_and_reads_on()
    {
        var reader = new NmeaFixReader(new DateTimeOffset(2026, 12, 1, 0, 0, 0, TimeSpan.Zero));
        string good = NmeaSentenceWriter.Sentence("GPRMC,120000.00,A,3623.00000,N,13904.00000,E,10.00,90.0,011226,,,A");
        string bad = good.Replace("3623.00000", "3624.00000", StringComparison.Ordinal);
        string overlong = "$GPRMC," + new string('9', 300) + "\r\n";

        List<GpsFix> fixes = reader.Feed(Encoding.ASCII.GetBytes(bad + overlong + "garbage\r\n" + good));

        Assert.Equal(3, reader.Rejected);
        GpsFix fix = Assert.Single(fixes);
        Assert.True(fix.HasFix);
        Assert.Equal(36 + 23 / 60.0, fix.Lat, 6);
        Assert.Equal(139 + 4 / 60.0, fix.Lon, 6);
        Assert.Equal(new DateTimeOffset(2026, 12, 1, 12, 0, 0, TimeSpan.Zero), fix.At);
    }

    [Theory]
    [InlineData("silent", "FAIL", "no NMEA position report in 3 s at 9600 baud")]
    [InlineData("no fix", "WARN", "the receiver talks but has no fix yet")]
    [InlineData("fix", "OK", "fix 36.3833,139.0667 at 12:00:01 UTC, 8 satellites")]
    public async Task Doctor_says_whether_the_receiver_talks_and_has_a_fix(string receiver, string level, string detail)
    {
        using var site = new TestSite();
        site.Options.Gps.Port = "/dev/ttyTEST";
        var at = new DateTimeOffset(2026, 12, 1, 12, 0, 0, TimeSpan.Zero);
        string sentences = receiver switch
        {
            "silent" => "",
            "no fix" => NmeaSentenceWriter.Sentences(at, null) + NmeaSentenceWriter.Sentences(at.AddSeconds(1), null),
            _ => NmeaSentenceWriter.Sentences(at, null) + NmeaSentenceWriter.Sentences(at.AddSeconds(1), new EmulatedFix(36.3833, 139.0667, 0, 0)),
        };
        var parts = new TerminalParts { Gpio = new System.Device.Gpio.GpioController(new Emulation.Feedback.EmulatedGpioDriver()) };
        parts.GpsLines["/dev/ttyTEST"] = () => new MemoryStream(Encoding.ASCII.GetBytes(sentences));

        List<Doctor.DoctorCheck> checks = await Doctor.TerminalDoctor.RunAsync(site.Options, parts);

        Doctor.DoctorCheck gps = Assert.Single(checks, c => c.Name == "gps");
        Assert.Equal(level, gps.Level.ToString().ToUpperInvariant());
        Assert.Contains("/dev/ttyTEST: " + detail, gps.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public void The_gps_options_are_checked_with_the_key_named()
    {
        using var site = new TestSite(DeviceRoles.Clinic, "CLINIC01");
        site.Options.Gps.Port = "/dev/serial0";
        site.Options.Gps.BaudRate = 1234;

        List<string> problems = TerminalOptionsValidator.Check(site.Options);

        Assert.Contains(problems, p => p.StartsWith("Gps:Port: a GPS receiver is for the bus role", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.StartsWith("Gps:BaudRate: expected one of 4800, 9600", StringComparison.Ordinal));
        using var bus = new TestSite();
        bus.Options.Gps.Port = "/dev/serial0";
        Assert.Empty(TerminalOptionsValidator.Check(bus.Options));
    }

    /// <summary>A memory stream that counts the writes (the emulated receiver's UART).</summary>
    private sealed class WrittenStream : MemoryStream
    {
        public SemaphoreSlim Written { get; } = new(0);

        public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        {
            await base.WriteAsync(buffer, cancellationToken);
            Written.Release();
        }

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                Written.Dispose();
            }

            base.Dispose(disposing);
        }
    }

    /// <summary>Every status BUS0042 publishes, in order, as a cloud client receives them.</summary>
    private sealed class StatusCollector : IAsyncDisposable
    {
        private readonly MQTTnet.IMqttClient _client = new MQTTnet.MqttClientFactory().CreateMqttClient();
        private readonly System.Threading.Channels.Channel<DeviceStatus> _received = System.Threading.Channels.Channel.CreateUnbounded<DeviceStatus>();

        public static async Task<StatusCollector> StartAsync(int port)
        {
            var c = new StatusCollector();
            c._client.ApplicationMessageReceivedAsync += e =>
            {
                c._received.Writer.TryWrite(ContractJson.ParseStatus(System.Buffers.BuffersExtensions.ToArray(e.ApplicationMessage.Payload)));
                return Task.CompletedTask;
            };
            await c._client.ConnectAsync(new MQTTnet.MqttClientOptionsBuilder().WithTcpServer("127.0.0.1", port)
                .WithProtocolVersion(MQTTnet.Formatter.MqttProtocolVersion.V500).WithClientId("ingest-status-" + Guid.NewGuid().ToString("N")).Build());
            await c._client.SubscribeAsync(Topics.Status("BUS0042"));
            return c;
        }

        public Task<DeviceStatus> NextAsync() => _received.Reader.ReadAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(90));

        public async ValueTask DisposeAsync()
        {
            await _client.DisconnectAsync();
            _client.Dispose();
        }
    }
}
