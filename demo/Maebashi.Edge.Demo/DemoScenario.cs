using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Maebashi.Edge.Contract.Identity;
using Maebashi.Edge.Contract.Messages;
using System.Threading.Channels;
using Maebashi.Edge.Contract.Registry;
using Maebashi.Edge.Emulation;
using Maebashi.Edge.Emulation.Cards;
using Maebashi.Edge.Terminal.Emulation;
using Maebashi.Edge.Terminal.Gps;
using Maebashi.Edge.Terminal.Hosting;
using Maebashi.Edge.Terminal.Taps;
using Maebashi.Edge.TestSupport;

namespace Maebashi.Edge.Demo;

/// <summary>
/// What happens on the fleet: the registry's people ride the buses (boarding at the front door, alighting at
/// the rear, now and then forgetting to tap off, a lost card refused), volunteer at the event site, check in at
/// the clinic (one with the My Number card), while the second bus loses its network for a while; live lines
/// on the way.
/// </summary>
internal sealed class DemoScenario(DemoFleet fleet, DemoOptions options)
{
    private readonly DemoFleet _fleet = fleet;
    private readonly DemoOptions _options = options;
    private readonly object _gate = new();
    private readonly Random _random = new(20261126);
    private volatile bool _myNumberShown;
    private bool _wrongPinTyped;
    private (byte[] Uid, byte[] E, byte[] C)? _skimmed;

    private IReadOnlyList<TerminalRuntime> Terminals => _fleet.Terminals;

    /// <summary>Runs the scenario until the duration ends or <paramref name="ct"/> is cancelled (Ctrl+C).</summary>
    public async Task RunAsync(CancellationToken ct)
    {
        using var run = CancellationTokenSource.CreateLinkedTokenSource(ct);
        if (_options.Duration is { } d)
        {
            run.CancelAfter(d);
        }

        var started = DateTimeOffset.UtcNow;
        var tasks = new List<Task>
        {
            Task.Run(() => LiveAsync(started, run.Token), CancellationToken.None),
            Task.Run(() => OutageAsync(run.Token), CancellationToken.None),
            Task.Run(() => EventSiteAsync(run.Token), CancellationToken.None),
            Task.Run(() => ClinicAsync(run.Token), CancellationToken.None),
            Task.Run(() => CloneAttemptAsync(run.Token), CancellationToken.None),
        };
        tasks.AddRange(_fleet.Buses.Select(b => Task.Run(() => BusAsync(b, run.Token), CancellationToken.None)));
        await Task.WhenAll(tasks.Select(t => t.ContinueWith(_ => { }, TaskScheduler.Default)));
        foreach (NetworkCut link in _fleet.Links)
        {
            link.Restore();
        }
    }

    private TimeSpan Scaled(double seconds) => TimeSpan.FromSeconds(seconds / _options.Speed);

    /// <summary>
    /// One bus drives its route on emulated GPS; at each stop the geofence finds, passengers alight at the rear door and
    /// board at the front (the taps carry that stop, <c>ctx.stopSource</c> gps). The driver only sets the route.
    /// </summary>
    private async Task BusAsync(DemoBus bus, CancellationToken ct)
    {
        TerminalRuntime terminal = Terminals.Single(t => t.Options.DeviceId == bus.Device);
        RouteDef route = bus.Route;
        var arrivals = Channel.CreateUnbounded<StopPassage>();
        terminal.Gps!.Passed += p =>
        {
            // A stop passed in a tunnel or a dropout (by sequence) had no bus standing at it: nobody tapped there.
            if (p.By == PassedBy.Geofence)
            {
                arrivals.Writer.TryWrite(p);
            }
        };
        terminal.Vehicle.Set(route.Id, null);
        HashSet<string> termini = Termini(route);

        // Let the validators say hello and take their configuration.
        await Delay(TimeSpan.FromSeconds(1.5), ct);
        try
        {
            await foreach (StopPassage arrival in arrivals.Reader.ReadAllAsync(ct))
            {
                await AtStopAsync(bus, terminal, termini.Contains(arrival.Stop), ct);
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    /// <summary>Where runs end: the last stop of each pattern (a loop's last stop before it starts again).</summary>
    private static HashSet<string> Termini(RouteDef route) =>
        route.Patterns is { Count: > 0 } patterns
            ? [.. patterns.Where(p => p.Stops.Count > 0).Select(p => p.Stops[^1])]
            : [route.Stops[^1].Id];

    private async Task AtStopAsync(DemoBus bus, TerminalRuntime terminal, bool last, CancellationToken ct)
    {
        foreach (DemoPerson p in Riders(bus.Device))
        {
            // Riders stay aboard at least 12 s: within 10 s the same card is the same tap (docs/contract.md §3).
            if ((last || _random.NextDouble() < 0.45) && DateTimeOffset.UtcNow - p.Since >= TimeSpan.FromSeconds(12))
            {
                // Now and then a passenger forgets to tap off: the trip closes with the highest fare.
                if (!(last && _random.NextDouble() < 0.15))
                {
                    await Tap(bus, 1, p.TypeA, ct);
                }

                Leave(p);
            }
        }

        if (last)
        {
            terminal.Pipeline.EndOfRun();
            return;
        }

        foreach (DemoPerson p in Free().Where(_ => _random.NextDouble() < 0.45).Take(3))
        {
            Take(p, bus.Device);
            await Tap(bus, 0, p.TypeA, ct);
        }

        if (_fleet.Cards.ClonedUid is null && _skimmed is { } skimmed && HolderStaysAway(skimmed.Uid))
        {
            // The card's holder is elsewhere (not riding: their trips stay whole); the copy rides in their name.
            // A skimmer read a genuine city card's SUN message in passing; a copy replays it at this door. The ingest
            // sees the same read counter twice, refuses the copy's tap and denies the card as a suspected clone.
            _fleet.Cards.ClonedUid = skimmed.Uid;
            _fleet.Say($"-- {bus.Device}: 複製カードの試み / clone attempt (a copy replays a skimmed SUN message at the front door)");
            await Tap(bus, 0, Ntag424DnaCard.Replaying(skimmed.Uid, skimmed.E, skimmed.C), ct);
        }

        if (_random.NextDouble() < 0.05 && _fleet.People.FirstOrDefault(x => x.Cards.Any(c => c.Lost)) is { } loser)
        {
            // A lost card is on the deny list: the door says no.
            await Tap(bus, 0, loser.Cards.First(c => c.Lost).Uid, ct);
        }
    }

    private Task Tap(DemoBus bus, int door, byte[] uid, CancellationToken ct) => Tap(bus, door, _fleet.Cards.For(CardTech.Iso14443A, uid), ct);

    private static async Task Tap(DemoBus bus, int door, VirtualCard card, CancellationToken ct)
    {
        try
        {
            await bus.Validators.TapAsync(door, card, TimeSpan.FromMilliseconds(300), ct);
        }
        catch (OperationCanceledException)
        {
        }
    }

    /// <summary>Volunteers tap in at the entrance and out at the exit (FeliCa cards too: the PN532 reads them).</summary>
    private async Task EventSiteAsync(CancellationToken ct)
    {
        TerminalRuntime site = Terminals.Single(t => t.Options.Role == DeviceRoles.Event);
        await Delay(TimeSpan.FromSeconds(2), ct);
        while (!ct.IsCancellationRequested)
        {
            foreach (DemoPerson p in Volunteers(site.Options.DeviceId))
            {
                if (DateTimeOffset.UtcNow - p.Since >= TimeSpan.FromSeconds(20) && _random.NextDouble() < 0.5)
                {
                    await Present(site, "exit", p.Preferred(_random), ct);
                    Leave(p);
                }
            }

            if (Free().FirstOrDefault(_ => _random.NextDouble() < 0.4) is { } volunteer)
            {
                Take(volunteer, site.Options.DeviceId);
                if (!await Present(site, "entrance", volunteer.Preferred(_random), ct))
                {
                    // The entrance did not take the card (the reader failed, the run ended): they are not at the event.
                    Leave(volunteer);
                }
            }

            await Delay(Scaled(6), ct);
        }
    }

    /// <summary>Patients tap at reception; one of them with the My Number card.</summary>
    private async Task ClinicAsync(CancellationToken ct)
    {
        TerminalRuntime clinic = Terminals.Single(t => t.Options.Role == DeviceRoles.Clinic);
        while (!ct.IsCancellationRequested)
        {
            // The first patient shows the My Number card (JPKI over the PN532); the others their city cards.
            // Its holder waits at the clinic (goes nowhere else) until that check-in has been read.
            bool myNumberShown = _myNumberShown;
            DemoPerson? patient = myNumberShown
                ? Free().FirstOrDefault(_ => _random.NextDouble() < 0.7)
                : _fleet.People.FirstOrDefault(p => p.Cards.Any(c => c.Tech == CardTech.Jpki));
            if (patient is not null)
            {
                (CardTech tech, byte[] uid, _) = patient.Cards.FirstOrDefault(c => c.Tech == CardTech.Jpki && !myNumberShown, patient.Cards.First(c => !c.Lost));
                Take(patient, clinic.Options.DeviceId);
                bool taken = await Present(clinic, "reception", (tech, uid), ct);
                _myNumberShown |= taken && tech == CardTech.Jpki;
                Leave(patient);
            }

            await Delay(Scaled(5), ct);
        }
    }

    /// <summary>Holds a card to an emulated reader until the reader has taken it (or 3 s); true when it did.</summary>
    private async Task<bool> Present(TerminalRuntime terminal, string reader, (CardTech Tech, byte[] Uid) card, CancellationToken ct)
    {
        if (card.Tech == CardTech.Jpki)
        {
            return await MyNumberCheckInAsync(terminal, reader, card.Uid, ct);
        }

        EmulatedReaderTapSource source = terminal.Emulated(reader);
        VirtualCard virtualCard = _fleet.Cards.For(card.Tech, card.Uid);
        // Taken means recorded: a read that failed half-way (a card pulled early) records nothing.
        long before = terminal.Ledger.Summary().Entries;
        source.Rig.Field.Place(virtualCard);
        try
        {
            // A My Number card takes several APDUs; a person holds the card until the reader beeps.
            var deadline = DateTimeOffset.UtcNow + TimeSpan.FromSeconds(5);
            while (terminal.Ledger.Summary().Entries == before && DateTimeOffset.UtcNow < deadline)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(20), ct);
            }

            await Task.Delay(TimeSpan.FromMilliseconds(200), ct);
        }
        catch (OperationCanceledException)
        {
        }
        finally
        {
            source.Rig.Field.Remove(virtualCard);
        }

        return terminal.Ledger.Summary().Entries > before;
    }

    /// <summary>
    /// The My Number patient at reception: the card on the reader, a slip of the finger first (the display shows the
    /// tries left), then the right PIN on the keypad; the card signs the check-in. True when it was recorded.
    /// </summary>
    private async Task<bool> MyNumberCheckInAsync(TerminalRuntime terminal, string reader, byte[] serial, CancellationToken ct)
    {
        PressKeysCommand keys = _fleet.PartsOf(terminal).ControlCommands.OfType<PressKeysCommand>().Single();
        MyNumberCard card = _fleet.Cards.MyNumbers.Get(serial, DemoCards.MyNumberPin);
        RfField field = terminal.Emulated(reader).Rig.Field;
        long before = terminal.Ledger.Summary().Entries;
        var wrongPinShown = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        void OnShown(string line)
        {
            if (line.Contains("暗証番号が違います", StringComparison.Ordinal))
            {
                wrongPinShown.TrySetResult();
            }
        }

        terminal.Display.Shown += OnShown;
        field.Place(card);
        try
        {
            if (!_wrongPinTyped)
            {
                _wrongPinTyped = true;
                await keys.RunAsync(terminal, ["9999#"], ct);
                await wrongPinShown.Task.WaitAsync(TimeSpan.FromSeconds(10), ct);
            }

            await keys.RunAsync(terminal, [DemoCards.MyNumberPin + "#"], ct);
            var deadline = DateTimeOffset.UtcNow + TimeSpan.FromSeconds(10);
            while (terminal.Ledger.Summary().Entries == before && DateTimeOffset.UtcNow < deadline)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(20), ct);
            }
        }
        catch (Exception e) when (e is OperationCanceledException or TimeoutException)
        {
        }
        finally
        {
            terminal.Display.Shown -= OnShown;
            field.Remove(card);
        }

        return terminal.Ledger.Summary().Entries > before;
    }

    /// <summary>
    /// From a tenth of the run, a skimmer watches the city cards of people not on a bus; once one's SUN message is old
    /// enough, the next bus stop sees the copy (<see cref="AtStopAsync"/>).
    /// </summary>
    private async Task CloneAttemptAsync(CancellationToken ct)
    {
        await Delay((_options.Duration ?? TimeSpan.FromMinutes(3)) * 0.1, ct);
        while (!ct.IsCancellationRequested && _skimmed is null)
        {
            _skimmed = Eavesdropped(TimeSpan.FromSeconds(15));
            await Delay(TimeSpan.FromSeconds(1), ct);
        }
    }

    /// <summary>
    /// A SUN message an eavesdropper heard between a reader and the city card of someone not on a bus, at least
    /// <paramref name="minAge"/> ago (so the copy's replay comes clearly after it in event time): as the terminal recorded it.
    /// </summary>
    private (byte[] Uid, byte[] E, byte[] C)? Eavesdropped(TimeSpan minAge)
    {
        DateTimeOffset before = DateTimeOffset.UtcNow - minAge;
        foreach (DemoPerson p in NotOnABus())
        {
            string tok = _fleet.Registry.TokenFor(CardTech.Iso14443A, Convert.ToHexString(p.TypeA));
            CardSun? heard = Terminals.SelectMany(t => t.Ledger.Records(false)).Select(r => r.Event)
                .Where(e => e.Card?.Tok == tok && e.Card.Sun is not null && e.At <= before).MaxBy(e => e.At)?.Card!.Sun;
            if (heard is not null)
            {
                return (p.TypeA, Convert.FromHexString(heard.E), Convert.FromHexString(heard.C));
            }
        }

        return null;
    }

    /// <summary>The second bus loses its mobile network for a while, keeps taking taps, and catches up.</summary>
    private async Task OutageAsync(CancellationToken ct)
    {
        TerminalRuntime? bus = Terminals.LastOrDefault(t => t.Options.Role == DeviceRoles.Bus);
        if (bus is null)
        {
            return;
        }

        NetworkCut link = _fleet.LinkOf(bus);
        string device = bus.Options.DeviceId;
        TimeSpan total = _options.Duration ?? TimeSpan.FromMinutes(3);
        await Delay(total * 0.3, ct);
        link.Cut();
        _fleet.Say($"-- {device}: network lost / 通信断 (taps go on into its ledger)");
        await Delay(total * 0.3, ct);
        link.Restore();
        _fleet.Say($"-- {device}: network back / 通信復旧 (backlog drains)");
    }

    private async Task LiveAsync(DateTimeOffset started, CancellationToken ct)
    {
        long lastTaps = 0;
        DateTimeOffset lastAt = started;
        while (!ct.IsCancellationRequested)
        {
            await Delay(_options.LiveEvery, ct);
            long taps = _fleet.TapsTaken;
            DateTimeOffset now = DateTimeOffset.UtcNow;
            double rate = (taps - lastTaps) / Math.Max(0.001, (now - lastAt).TotalSeconds);
            (lastTaps, lastAt) = (taps, now);
            int online = 0;
            try
            {
                JsonArray devices = (await _fleet.GetJson("api/v1/devices", CancellationToken.None)).AsArray();
                online = devices.Count(d => d?["online"]?.GetValue<bool>() == true);
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException or JsonException)
            {
                online = -1;
            }

            string backlog = string.Join(", ", Terminals.Select(t =>
                $"{t.Options.DeviceId} {t.Ledger.Summary().Backlog}{(_fleet.LinkOf(t).IsCut ? " (offline)" : "")}"));
            _fleet.Say(string.Create(CultureInfo.InvariantCulture,
                $"[{now - started:mm\\:ss}] taps {taps} ({rate:F1}/s) | backlog {backlog} | devices online {(online < 0 ? "?" : online.ToString(CultureInfo.InvariantCulture))}/{Terminals.Count}"));
        }
    }

    private IEnumerable<DemoPerson> Riders(string device)
    {
        lock (_gate)
        {
            return [.. _fleet.People.Where(p => p.Where == device)];
        }
    }

    private IEnumerable<DemoPerson> Volunteers(string device) => Riders(device);

    /// <summary>People not aboard any bus now, who are not the My Number patient.</summary>
    private List<DemoPerson> NotOnABus()
    {
        lock (_gate)
        {
            return [.. _fleet.People.Where(p => !_fleet.Buses.Any(b => b.Device == p.Where) && !p.Cards.Any(c => c.Tech == CardTech.Jpki))];
        }
    }

    private List<DemoPerson> Free()
    {
        lock (_gate)
        {
            // Someone who just got off a bus or left the site waits a little (and a repeat tap is 10 s).
            return [.. _fleet.People.Where(p => p.Where is null && DateTimeOffset.UtcNow - p.Since >= TimeSpan.FromSeconds(11)
                && (_myNumberShown || !p.Cards.Any(c => c.Tech == CardTech.Jpki))).OrderBy(_ => _random.Next())];
        }
    }

    /// <summary>
    /// Whether the holder of the skimmed card is off every bus and did not just step off one, so that the copy's read is
    /// not taken for the holder's own repeat tap on that bus (docs/contract.md §3); if so, a holder out and about keeps
    /// off the buses for one more repeat window while the copy rides.
    /// </summary>
    private bool HolderStaysAway(byte[] uid)
    {
        lock (_gate)
        {
            DemoPerson holder = _fleet.People.First(p => p.TypeA.AsSpan().SequenceEqual(uid));
            if (_fleet.Buses.Any(b => b.Device == holder.Where) || (holder.Where is null && DateTimeOffset.UtcNow - holder.Since < TimeSpan.FromSeconds(11)))
            {
                return false;
            }

            if (holder.Where is null)
            {
                holder.Since = DateTimeOffset.UtcNow;
            }

            return true;
        }
    }

    private void Take(DemoPerson p, string where)
    {
        lock (_gate)
        {
            p.Where = where;
            p.Since = DateTimeOffset.UtcNow;
        }
    }

    private void Leave(DemoPerson p) => Take(p, null!);

    private static async Task Delay(TimeSpan t, CancellationToken ct)
    {
        try
        {
            await Task.Delay(t, ct);
        }
        catch (OperationCanceledException)
        {
        }
    }
}
