using Maebashi.Edge.Emulation.Cards;
using Maebashi.Edge.Firmware.Link;
using Maebashi.Edge.Firmware.Simulator;
using Maebashi.Edge.Firmware.Storage;
using Maebashi.Edge.Firmware.Taps;
using Maebashi.Edge.ValidatorLink;
using Microsoft.Extensions.Time.Testing;

namespace Maebashi.Edge.Firmware.Tests;

/// <summary>The serial link between validators (firmware core) and the host's link master, over a simulated RS-485 line.</summary>
[Trait("Category", "Firmware")]
public sealed class LinkTests : IDisposable
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(20);
    private readonly RecordingTapHandler _handler = new();
    private readonly SimulatedRs485Line _line = new();
    private readonly FakeTimeProvider _validatorTime = new(new DateTimeOffset(2026, 11, 26, 8, 0, 0, TimeSpan.Zero));

    public void Dispose() => _handler.Dispose();

    [Fact]
    public void Cobs_and_crc_round_trip_every_frame_and_reject_any_flipped_byte()
    {
        var random = new Random(7);
        byte[] raw = new byte[LinkProtocol.MaxRaw];
        byte[] wire = new byte[LinkProtocol.MaxEncoded];
        for (int round = 0; round < 2000; round++)
        {
            int length = random.Next(LinkProtocol.HeaderLength, LinkProtocol.MaxRaw - LinkProtocol.CrcLength + 1);
            random.NextBytes(raw.AsSpan(0, length));
            if (round % 3 == 0)
            {
                raw.AsSpan(0, length).Clear();
            }

            byte[] original = raw[..length];
            int n = LinkProtocol.Seal(raw, length, wire);
            Assert.DoesNotContain((byte)0, wire[..(n - 1)]);

            var decoder = new FrameDecoder();
            bool got = false;
            for (int i = 0; i < n; i++)
            {
                got = decoder.Push(wire[i]);
            }

            Assert.True(got);
            Assert.Equal(original, decoder.Frame[..decoder.Length]);

            int at = random.Next(0, n - 1);
            wire[at] ^= (byte)(1 << random.Next(8));
            var damaged = new FrameDecoder();
            bool accepted = false;
            for (int i = 0; i < n; i++)
            {
                accepted |= damaged.Push(wire[i]);
            }

            Assert.False(accepted);
        }

        Assert.Equal(0x29B1, Crc16Ccitt.Compute("123456789"u8.ToArray(), 0, 9));
    }

    [Fact]
    public async Task A_corrupted_byte_loses_only_that_frame_which_is_resent()
    {
        var validator = new SimulatedValidator(_line, new ValidatorSpec("bus-7-front", 1, Doors.Front), _validatorTime);
        var master = new ValidatorLinkMaster(_line.OpenHostPort(), Options(1), _handler);
        using var stop = new CancellationTokenSource();
        Task run = master.RunAsync(stop.Token);
        await FrameWait.UntilAsync(master, () => validator.Inspect(f => f.Link.ClockSynced), Patience, "validator configured");

        // 1) The validator's recorded tap is damaged on the way to the host.
        var first = new TypeACard(Uids.Make(7, 1));
        await TapWithVerdictAsync(master, validator, first);
        validator.Inspect(f =>
        {
            f.Step();
            _line.CorruptNextFrame(LineDirection.ValidatorToHost, 6);
            return 0;
        });
        await _handler.WaitForStoredAsync(1, Patience);
        await FrameWait.UntilAsync(master, () => validator.Inspect(f => f.Ring.PendingCount) == 0, Patience, "tap acknowledged");
        Assert.Equal(1, master.FramesRejected);

        // 2) The host's verdict is damaged on the way to the validator: resent before the validator gives up.
        _handler.OnDecide = () => _line.CorruptNextFrame(LineDirection.HostToValidator, 4);
        var second = new TypeACard(Uids.Make(4, 2));
        await TapWithVerdictAsync(master, validator, second);
        _handler.OnDecide = null;
        validator.Step();
        await _handler.WaitForStoredAsync(2, Patience);

        Assert.Equal(1, validator.Inspect(f => f.Link.FramesRejected));
        Assert.Equal(2, _handler.Decided);
        IReadOnlyList<ValidatorTap> stored = _handler.Stored;
        Assert.Equal([1u, 2u], stored.Select(t => t.Seq));
        Assert.All(stored, t => Assert.False(t.Offline));
        Assert.Equal(Uids.Make(7, 1), stored[0].Uid);
        Assert.Equal(180, stored[1].FareYen);
        Assert.Equal(2, validator.Firmware.Feedback.Played[(int)FeedbackPattern.Accept]);
        Assert.Equal(0, _line.Collisions);

        await stop.CancelAsync();
        await run;
    }

    [Fact]
    public async Task A_host_away_for_1000_taps_gets_all_of_them_in_order_once_when_it_returns()
    {
        var validator = new SimulatedValidator(_line, new ValidatorSpec("bus-7-rear", 2, Doors.Rear), _validatorTime);
        var cards = new List<byte[]>();
        for (int i = 0; i < 1000; i++)
        {
            byte[] uid = Uids.Make(i % 3 == 0 ? 4 : i % 3 == 1 ? 7 : 10, i);
            cards.Add(uid);
            var card = new TypeACard(uid);
            validator.Present(card);
            _validatorTime.Advance(TimeSpan.FromMilliseconds(TapLoop.PollIntervalMs));
            validator.Step();
            Assert.Equal(TapLoopState.AwaitingVerdict, validator.Firmware.Taps.State);
            _validatorTime.Advance(TimeSpan.FromMilliseconds(100));
            validator.Step();
            validator.Lift(card);
        }

        Assert.Equal(1000, validator.Firmware.Ring.PendingCount);
        Assert.Equal(1000, validator.Firmware.Feedback.Played[(int)FeedbackPattern.AcceptOffline]);

        var master = new ValidatorLinkMaster(_line.OpenHostPort(), Options(2), _handler);
        using var stop = new CancellationTokenSource();
        Task run = master.RunAsync(stop.Token);
        await _handler.WaitForStoredAsync(1000, TimeSpan.FromSeconds(60));
        await FrameWait.UntilAsync(master, () => validator.Inspect(f => f.Ring.PendingCount) == 0, Patience, "backlog acknowledged");
        await FrameWait.UntilAsync(master, () => master.Validators.Single().Backlog == 0, Patience, "backlog reported empty");
        await stop.CancelAsync();
        await run;

        IReadOnlyList<ValidatorTap> stored = _handler.Stored;
        Assert.Equal(1000, stored.Count);
        Assert.Equal(Enumerable.Range(1, 1000).Select(i => (uint)i), stored.Select(t => t.Seq));
        for (int i = 0; i < 1000; i++)
        {
            Assert.Equal(cards[i], stored[i].Uid);
            Assert.True(stored[i].Offline);
            Assert.True(stored[i].Accepted);
            Assert.Equal(Doors.Rear, stored[i].Door);
            Assert.True("bus-7-rear" == stored[i].DeviceId, $"tap {i}: device id '{stored[i].DeviceId}'");
        }

        Assert.True(stored.Zip(stored.Skip(1)).All(p => p.First.At < p.Second.At));
        Assert.Equal(0, _line.Collisions);
    }

    [Fact]
    public async Task A_validator_cut_off_the_line_is_seen_offline_and_its_backlog_is_taken_when_it_returns()
    {
        var validator = new SimulatedValidator(_line, new ValidatorSpec("bus-8-front", 1, Doors.Front), _validatorTime);
        ValidatorLinkOptions options = Options(1);
        options.OfflinePollInterval = TimeSpan.FromMilliseconds(100);
        var master = new ValidatorLinkMaster(_line.OpenHostPort(), options, _handler);
        using var stop = new CancellationTokenSource();
        Task run = master.RunAsync(stop.Token);
        await FrameWait.UntilAsync(master, () => master.Validators.Single().Online && validator.Inspect(f => f.Link.ClockSynced), Patience, "validator online");

        _line.SetConnected(validator, false);
        await FrameWait.UntilAsync(master, () => !master.Validators.Single().Online, Patience, "validator seen offline");
        for (int i = 0; i < 20; i++)
        {
            var card = new TypeACard(Uids.Make(7, 500 + i));
            validator.Present(card);
            _validatorTime.Advance(TimeSpan.FromMilliseconds(TapLoop.PollIntervalMs));
            validator.Step();
            _validatorTime.Advance(TimeSpan.FromMilliseconds(100));
            validator.Step();
            validator.Lift(card);
        }

        Assert.Equal(20, validator.Firmware.Ring.PendingCount);
        Assert.Empty(_handler.Stored);

        _line.SetConnected(validator, true);
        await _handler.WaitForStoredAsync(20, Patience);
        await FrameWait.UntilAsync(master, () => validator.Inspect(f => f.Ring.PendingCount) == 0, Patience, "backlog acknowledged");
        await stop.CancelAsync();
        await run;

        Assert.Equal(Enumerable.Range(1, 20).Select(i => (uint)i), _handler.Stored.Select(t => t.Seq));
        Assert.All(_handler.Stored, t => Assert.True(t.Offline));
        Assert.True(master.Validators.Single().Online);
    }

    [Fact]
    public async Task Two_validators_on_one_line_never_collide()
    {
        await using ValidatorBusSimulator bus = ValidatorBusSimulator.Start(ValidatorBusSimulator.FrontAndRear("bus-12"));
        var master = new ValidatorLinkMaster(bus.HostPort, Options(1, 2), _handler);
        using var stop = new CancellationTokenSource();
        Task run = master.RunAsync(stop.Token);

        const int perDoor = 15;
        async Task Passengers(int door)
        {
            for (int i = 0; i < perDoor; i++)
            {
                var card = new TypeACard(Uids.Make(7, (door * 1000) + i));
                await bus.TapAsync(door, card, TimeSpan.FromMilliseconds(300));
                await Task.Delay(TimeSpan.FromMilliseconds(20));
            }
        }

        await Task.WhenAll(Passengers(0), Passengers(1));
        await _handler.WaitForStoredAsync(2 * perDoor, TimeSpan.FromSeconds(60));
        await stop.CancelAsync();
        await run;

        Assert.Equal(0, bus.Line.Collisions);
        IReadOnlyList<ValidatorTap> stored = _handler.Stored;
        foreach (byte door in new[] { Doors.Front, Doors.Rear })
        {
            ValidatorTap[] mine = [.. stored.Where(t => t.Door == door)];
            Assert.Equal(perDoor, mine.Length);
            Assert.Equal(Enumerable.Range(1, perDoor).Select(i => (uint)i), mine.Select(t => t.Seq));
        }

        Assert.True(bus.Line.FramesFromValidators > 4 * perDoor);
    }

    [Fact]
    public async Task The_line_does_count_a_collision_when_two_validators_answer_one_poll()
    {
        // Misprovisioned: two validators at one address. The detector the previous test relies on must see it.
        _ = new SimulatedValidator(_line, new ValidatorSpec("a", 3, 1), _validatorTime);
        _ = new SimulatedValidator(_line, new ValidatorSpec("b", 3, 2), _validatorTime);
        var master = new ValidatorLinkMaster(_line.OpenHostPort(), Options(3), _handler);
        using var stop = new CancellationTokenSource();
        Task run = master.RunAsync(stop.Token);
        await FrameWait.UntilAsync(master, () => _line.Collisions > 0, Patience, "collision detected");
        await stop.CancelAsync();
        await run;
    }

    [Fact]
    public async Task A_host_deny_shows_red_and_is_recorded_as_denied()
    {
        var validator = new SimulatedValidator(_line, new ValidatorSpec("bus-1-front", 1, Doors.Front), _validatorTime);
        _handler.Rule = _ => ValidatorVerdict.Denied(TapReason.DenyListed);
        var master = new ValidatorLinkMaster(_line.OpenHostPort(), Options(1), _handler);
        using var stop = new CancellationTokenSource();
        Task run = master.RunAsync(stop.Token);
        await FrameWait.UntilAsync(master, () => validator.Inspect(f => f.Link.ClockSynced), Patience, "validator configured");

        await TapWithVerdictAsync(master, validator, new TypeACard(Uids.Make(4, 77)));
        validator.Step();
        Assert.True(validator.Indicators.Red);
        Assert.False(validator.Indicators.Green);
        await _handler.WaitForStoredAsync(1, Patience);
        await stop.CancelAsync();
        await run;

        ValidatorTap tap = Assert.Single(_handler.Stored);
        Assert.False(tap.Accepted);
        Assert.Equal(TapReason.DenyListed, tap.Reason);
        Assert.True(tap.ClockSynced);
        Assert.Equal("bus-1-front", tap.DeviceId);
        Assert.InRange(tap.At, DateTimeOffset.UtcNow.AddMinutes(-1), DateTimeOffset.UtcNow.AddMinutes(1));
    }

    [Fact]
    public async Task Provisioning_over_the_link_sets_id_door_and_address_in_flash()
    {
        var validator = new SimulatedValidator(_line, null, _validatorTime);
        var options = new ValidatorLinkOptions();
        options.Addresses.Clear();
        var master = new ValidatorLinkMaster(_line.OpenHostPort(), options, _handler);
        using var stop = new CancellationTokenSource();
        Task run = master.RunAsync(stop.Token);

        ValidatorHello hello = await master.ProvisionAsync(LinkProtocol.UnprovisionedAddress, new ValidatorProvisioning("bus-3-rear", Doors.Rear, 2, 5000), CancellationToken.None)
            .WaitAsync(Patience);
        Assert.Equal("bus-3-rear", hello.DeviceId);
        Assert.Equal(2, hello.Address);
        Assert.True(hello.Provisioned);
        Assert.Equal(5000u, hello.LastSeq);
        await FrameWait.UntilAsync(master, () => master.Validators.Any(v => v.Address == 2 && v.Online), Patience, "polled at new address");
        await stop.CancelAsync();
        await run;

        // After a restart the validator still has it (settings flash), and its taps continue above the floor.
        var settings = new ValidatorSettings();
        Assert.True(new SettingsStore(validator.SettingsFlash).Load(settings));
        Assert.Equal(2, settings.Address);
        Assert.Equal(Doors.Rear, settings.Door);
        Assert.Equal(5001u, validator.Firmware.Ring.NextSeq());
    }

    [Fact]
    public async Task A_monitor_handler_that_throws_does_not_stop_the_line()
    {
        var validator = new SimulatedValidator(_line, new ValidatorSpec("bus-2-front", 1, Doors.Front), _validatorTime);
        var master = new ValidatorLinkMaster(_line.OpenHostPort(), Options(1), _handler);
        master.FrameSeen += _ => throw new InvalidOperationException("monitor broke");
        using var stop = new CancellationTokenSource();
        Task run = master.RunAsync(stop.Token);
        await FrameWait.UntilAsync(master, () => validator.Inspect(f => f.Link.ClockSynced), Patience, "validator configured");

        await TapWithVerdictAsync(master, validator, new TypeACard(Uids.Make(4, 3)));
        validator.Step();
        await _handler.WaitForStoredAsync(1, Patience);
        await stop.CancelAsync();
        await run;
        Assert.Single(_handler.Stored);
    }

    private static ValidatorLinkOptions Options(params byte[] addresses)
    {
        var options = new ValidatorLinkOptions { ResponseTimeout = TimeSpan.FromMilliseconds(40) };
        options.Addresses.Clear();
        foreach (byte a in addresses)
        {
            options.Addresses.Add(a);
        }

        return options;
    }

    /// <summary>A card is read (validator time frozen, so it waits for the host however slow the test machine is) and the
    /// host's verdict arrives; the next <see cref="SimulatedValidator.Step"/> records it.</summary>
    private async Task TapWithVerdictAsync(ValidatorLinkMaster master, SimulatedValidator validator, TypeACard card)
    {
        validator.Present(card);
        _validatorTime.Advance(TimeSpan.FromMilliseconds(TapLoop.PollIntervalMs));
        validator.Step();
        Assert.Equal(TapLoopState.AwaitingVerdict, validator.Firmware.Taps.State);
        await FrameWait.UntilAsync(master, () => validator.Inspect(f => f.Link.HasVerdict), Patience, "verdict at the validator");
        validator.Lift(card);
    }
}
