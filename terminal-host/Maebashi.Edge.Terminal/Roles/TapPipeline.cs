using System.Globalization;
using Maebashi.Edge.Contract.Identity;
using Maebashi.Edge.Contract.Messages;
using Maebashi.Edge.Contract.Registry;
using Maebashi.Edge.Contract.Rules;
using CardIOException = Maebashi.Edge.Readers.CardIOException;
using JpkiCard = Maebashi.Edge.Readers.JpkiCard;
using JpkiProof = Maebashi.Edge.Readers.JpkiProof;
using ReaderIOException = Maebashi.Edge.Readers.ReaderIOException;
using Maebashi.Edge.Terminal.Config;
using Maebashi.Edge.Terminal.Feedback;
using Maebashi.Edge.Terminal.Ledger;
using Maebashi.Edge.Terminal.PinEntry;
using Maebashi.Edge.Terminal.Taps;
using Maebashi.Edge.Terminal.Uplink;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Maebashi.Edge.Terminal.Roles;

/// <summary>
/// Decides each tap for the terminal's role (bus, event site, clinic reception), commits it to the
/// ledger durably and only then shows the feedback. Taps are decided one at a time; the uplink
/// never takes this path, so a draining backlog cannot hold a tap up.
/// </summary>
public sealed class TapPipeline : ITapSink
{
    private readonly TerminalOptions _options;
    private readonly byte[] _regionKey;
    private readonly TapLedger _ledger;
    private readonly ClinicQueue _clinicQueue;
    private readonly CloudState _cloud;
    private readonly VehicleState _vehicle;
    private readonly TerminalFeedback _feedback;
    private readonly TimeProvider _time;
    private readonly ILogger _log;
    private readonly object _gate = new();
    private readonly Dictionary<string, (DateTimeOffset First, TapOutcome Outcome)> _recent = new(StringComparer.Ordinal);
    private readonly Dictionary<string, (string Route, string Stop, DateTimeOffset At)> _boarded = new(StringComparer.Ordinal);
    private readonly Dictionary<string, ReaderOptions> _readers;
    private readonly MyNumberPinFlow? _pinFlow;
    private DateTimeOffset _recentSweptAt;

    public TapPipeline(TerminalOptions options, byte[] regionKey, TapLedger ledger, CloudState cloud, VehicleState vehicle,
        TerminalFeedback feedback, TimeProvider? time = null, ILogger? log = null, IKeypad? keypad = null)
    {
        _options = options;
        _regionKey = regionKey;
        _ledger = ledger;
        _clinicQueue = new ClinicQueue(ledger);
        _cloud = cloud;
        _vehicle = vehicle;
        _feedback = feedback;
        _time = time ?? TimeProvider.System;
        _log = log ?? NullLogger.Instance;
        _readers = options.Readers.ToDictionary(r => r.Name, StringComparer.Ordinal);
        _pinFlow = keypad is null ? null : new MyNumberPinFlow(keypad, options.Keypad, feedback, _log);
    }

    public long Taps { get; private set; }

    public ValueTask<TapOutcome> TapAsync(CardRead read, CancellationToken cancellationToken = default) =>
        _options.Role == DeviceRoles.Clinic && read.Tech == CardTech.Jpki ? MyNumberCheckInAsync(read, cancellationToken) : ValueTask.FromResult(Tap(read));

    /// <summary>
    /// A My Number card at clinic reception: a card already checked in today gets its number again; any other needs
    /// its PIN on the keypad (<see cref="MyNumberPinFlow"/>) and signs the check-in's event as the ledger records it.
    /// The taps of other readers are decided meanwhile: the pipeline is held only while the card signs.
    /// </summary>
    private async ValueTask<TapOutcome> MyNumberCheckInAsync(CardRead read, CancellationToken cancellationToken)
    {
        TapOutcome? known;
        lock (_gate)
        {
            known = BeforePin(read);
        }

        if (known is null && (_pinFlow is null || read.Jpki is null))
        {
            known = Refused(MyNumberPinFlow.NoKeypadLine);
        }

        TapOutcome outcome = known ?? await _pinFlow!.RunAsync(read.Jpki!, pin =>
        {
            lock (_gate)
            {
                return Decide(read, pin);
            }
        }, cancellationToken);
        lock (_gate)
        {
            Taps++;
        }

        _feedback.Show(outcome);
        if (outcome.Verdict is Verdict.Accept or Verdict.Deny && outcome.Seq is not null)
        {
            _ledger.NotifyAppended();
        }

        return outcome;
    }

    /// <summary>What a clinic tap gets without a PIN (a repeat, its number today, no configuration yet); null when it needs one.</summary>
    private TapOutcome? BeforePin(CardRead read)
    {
        DateTimeOffset now = Now(read.At);
        string tok = CardToken.Compute(_regionKey, read.Tech, read.Uid.Span);
        SweepRecent(now);
        if (_recent.TryGetValue(tok, out var recent) && now - recent.First < _options.RepeatWindow && now >= recent.First)
        {
            return recent.Outcome with { Verdict = Verdict.Repeat };
        }

        if (_cloud.Config?.Clinic?.Id is not { Length: > 0 })
        {
            return Refused(WaitingForConfigurationLine);
        }

        return _clinicQueue.NumberOf(ClinicDay(now), tok) is { } number
            ? new TapOutcome(Verdict.Repeat, QueueLine(number), null, null) { Green = true }
            : null;
    }

    public void Notice(string line) => _feedback.Display.Show(line);

    /// <summary>Decides, records (fsync) and shows one tap. Never throws for a bad tap: the outcome says what happened.</summary>
    public TapOutcome Tap(CardRead read)
    {
        TapOutcome outcome;
        lock (_gate)
        {
            outcome = Decide(read);
            Taps++;
        }

        _feedback.Show(outcome);
        if (outcome.Verdict is Verdict.Accept or Verdict.Deny && outcome.Seq is not null)
        {
            // Recorded: the uplink hears of it only now, after the verdict is shown.
            _ledger.NotifyAppended();
        }

        return outcome;
    }

    private TapOutcome Decide(CardRead read, byte[]? pin = null)
    {
        DateTimeOffset now = Now(read.At);
        string tok = CardToken.Compute(_regionKey, read.Tech, read.Uid.Span);
        SweepRecent(now);
        if (_recent.TryGetValue(tok, out var recent) && now - recent.First < _options.RepeatWindow && now >= recent.First)
        {
            // The same tap (docs/contract.md §3): the first one's feedback again, nothing recorded.
            return recent.Outcome with { Verdict = Verdict.Repeat };
        }

        ReaderOptions? reader = _readers.GetValueOrDefault(read.Reader);
        TapOutcome outcome;
        try
        {
            outcome = _options.Role switch
            {
                DeviceRoles.Bus => Bus(read, reader, tok, now),
                DeviceRoles.Event => EventSite(read, reader, tok, now),
                DeviceRoles.Clinic => Clinic(read, tok, now, pin),
                _ => Refused("設定エラー / Configuration error"),
            };
        }
        catch (LedgerFullException)
        {
            _feedback.SetIdle(StorageFullLine);
            return Refused(StorageFullLine);
        }
        catch (Exception e) when (e is IOException or LiteDB.LiteException)
        {
            _log.LogError("Tap not recorded: {Error}", e.Message);
            return Refused("記録できません / Cannot record — please use another reader");
        }

        if (outcome.Verdict is Verdict.Accept or Verdict.Deny)
        {
            _recent[tok] = (now, outcome);
        }

        return outcome;
    }

    public const string StorageFullLine = "記録容量がいっぱいです / Storage full — taps cannot be recorded";

    /// <summary>
    /// What a tap would get, decided but not recorded: a validator asks this first (it must answer within
    /// 100 ms), then sends the tap it recorded with its own final decision (<see cref="CardRead.Decision"/>).
    /// </summary>
    public TapOutcome Preview(CardRead read)
    {
        lock (_gate)
        {
            DateTimeOffset now = Now(read.At);
            string tok = CardToken.Compute(_regionKey, read.Tech, read.Uid.Span);
            SweepRecent(now);
            if (_recent.TryGetValue(tok, out var recent) && now - recent.First < _options.RepeatWindow && now >= recent.First)
            {
                return recent.Outcome with { Verdict = Verdict.Repeat };
            }

            if (_options.Role != DeviceRoles.Bus)
            {
                return _cloud.IsDenied(tok)
                    ? new TapOutcome(Verdict.Deny, "このカードは使えません / Card not accepted", null, null)
                    : new TapOutcome(Verdict.Accept, "受付しました / Accepted", null, null) { Green = true };
            }

            BusDecision d = DecideBus(read, _readers.GetValueOrDefault(read.Reader), tok, now);
            return d.Refusal ?? (d.Denied
                ? new TapOutcome(Verdict.Deny, DeniedLine, null, null)
                : new TapOutcome(Verdict.Accept, BusLine(d), null, null) { Green = true, Fare = d.Fare });
        }
    }

    private const string DeniedLine = "このカードは使えません / Card not accepted — please see the driver";

    private sealed record BusDecision(TapOutcome? Refusal, string Route, string Stop, bool Alight, bool Denied, long? Fare, string? StopSource = null);

    private BusDecision DecideBus(CardRead read, ReaderOptions? reader, string tok, DateTimeOffset now)
    {
        (string? route, string? stop, string? stopSource) = _vehicle.Snapshot;
        if (route is null || stop is null)
        {
            return new BusDecision(Refused("運行情報がありません / Not in service (no route or stop)"), "", "", false, false, null);
        }

        bool alight = reader?.Tap == "alight";
        // A validator's recorded tap carries its own decision (the ride happened if it accepted offline).
        bool denied = read.Decision is { } decided ? decided == Decisions.Deny : _cloud.IsDenied(tok);
        long? fare = null;
        if (!denied && alight)
        {
            RouteDef? def = _cloud.Config?.Routes?.FirstOrDefault(r => r.Id == route);
            if (def is not null)
            {
                fare = _boarded.TryGetValue(tok, out var b) && b.Route == route && now - b.At <= RuleWindows.Trip
                    ? FareRater.Fare(def, _cloud.Config?.FareTables, b.Stop, stop)
                    : FareRater.HighestFareTo(def, _cloud.Config?.FareTables, stop);
            }
        }

        return new BusDecision(null, route, stop, alight, denied, fare, stopSource);
    }

    private static string BusLine(BusDecision d) => d.Alight
        ? d.Fare is { } f ? string.Create(CultureInfo.InvariantCulture, $"運賃 {f}円 / Fare ¥{f}") : "降車 / Alighted"
        : "乗車 / Boarded";

    private TapOutcome Bus(CardRead read, ReaderOptions? reader, string tok, DateTimeOffset now)
    {
        BusDecision d = DecideBus(read, reader, tok, now);
        if (d.Refusal is { } refusal)
        {
            return refusal;
        }

        (string route, string stop, bool alight, bool denied, long? fare) = (d.Route, d.Stop, d.Alight, d.Denied, d.Fare);
        string type = alight ? EventTypes.Alight : EventTypes.Board;
        TapEvent e = _ledger.Append(seq => new TapEvent
        {
            Seq = seq,
            Type = type,
            At = now,
            Card = new CardRef { Tok = tok, Tech = read.Tech.ToWire(), Sun = read.Sun },
            Ctx = new TapContext { Route = route, Vehicle = VehicleId, Stop = stop, StopSource = d.StopSource, Door = reader?.Door ?? read.Reader, Offline = read.Offline ? true : null },
            Decision = denied ? Decisions.Deny : Decisions.Accept,
            Reason = denied ? "deny_list" : null,
        }, notify: false);

        if (denied)
        {
            return Recorded(e, Verdict.Deny, DeniedLine);
        }

        if (alight)
        {
            _boarded.Remove(tok);
        }
        else
        {
            _boarded[tok] = (route, stop, now);
        }

        return Recorded(e, Verdict.Accept, BusLine(d)) with { Fare = fare };
    }

    private TapOutcome EventSite(CardRead read, ReaderOptions? reader, string tok, DateTimeOffset now)
    {
        bool isOut = reader?.Tap == "out";
        List<EventDef> here = [.. (_cloud.Config?.Events ?? []).Where(ev => ev.Sites.Count == 0 || ev.Sites.Contains(_options.DeviceId))];
        // event_out counts for a while after the window (points per hour, docs/contract.md §3).
        TimeSpan grace = isOut ? RuleWindows.EventOutGrace : TimeSpan.Zero;
        EventDef? current = here.Where(ev => ev.Start <= now && now <= ev.End + grace).OrderBy(ev => ev.Start).FirstOrDefault();
        string? reason = null;
        if (current is null)
        {
            DateOnly today = LocalDay(now);
            current = here.FirstOrDefault(ev => LocalDay(ev.Start) <= today && today <= LocalDay(ev.End));
            if (current is null)
            {
                return Refused("本日の受付はありません / No event here now");
            }

            reason = "outside_window";
        }

        if (_cloud.IsDenied(tok))
        {
            reason = "deny_list";
        }

        TapEvent e = _ledger.Append(seq => new TapEvent
        {
            Seq = seq,
            Type = isOut ? EventTypes.EventOut : EventTypes.EventIn,
            At = now,
            Card = new CardRef { Tok = tok, Tech = read.Tech.ToWire(), Sun = read.Sun },
            Ctx = new TapContext { Event = current.Id, Door = reader?.Door },
            Decision = reason is null ? Decisions.Accept : Decisions.Deny,
            Reason = reason,
        }, notify: false);

        return reason switch
        {
            null => Recorded(e, Verdict.Accept, isOut ? "退場しました / Checked out — thank you" : "受付しました / Checked in — welcome"),
            "outside_window" => Recorded(e, Verdict.Deny, "受付時間外です / Outside event hours"),
            _ => Recorded(e, Verdict.Deny, "このカードは使えません / Card not accepted"),
        };
    }

    private const string WaitingForConfigurationLine = "設定を待っています / Waiting for configuration";

    private static string QueueLine(int queue) => string.Create(CultureInfo.InvariantCulture, $"受付番号 {queue}番 / Queue No. {queue}");

    private string ClinicDay(DateTimeOffset now) => LocalDay(now).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);

    private TapOutcome Clinic(CardRead read, string tok, DateTimeOffset now, byte[]? pin)
    {
        // The deny list is the transport debt and lost-card list: reception does not turn patients away on it.
        if (_cloud.Config?.Clinic?.Id is not { Length: > 0 } clinic)
        {
            return Refused(WaitingForConfigurationLine);
        }

        JpkiCard? myNumber = null;
        if (read.Tech == CardTech.Jpki)
        {
            // A My Number card checks in only with its PIN and its signature of the event (docs/contract.md §2).
            if (pin is null || read.Jpki is null)
            {
                return Refused(MyNumberPinFlow.NoKeypadLine);
            }

            myNumber = read.Jpki;
        }

        (int queue, TapEvent? e) checkedIn;
        try
        {
            checkedIn = _clinicQueue.CheckIn(ClinicDay(now), tok, (seq, number) => new TapEvent
            {
                Seq = seq,
                Type = EventTypes.ClinicCheckin,
                At = now,
                Card = new CardRef { Tok = tok, Tech = read.Tech.ToWire(), Sun = read.Sun, Jpki = myNumber is null ? null : Prove(myNumber, pin!, seq, now) },
                Ctx = new TapContext { Clinic = clinic, Queue = number },
                Decision = Decisions.Accept,
            }, notify: false);
        }
        catch (IOException x) when (x is CardIOException or ReaderIOException)
        {
            // The card left or failed while it signed: nothing was recorded.
            _log.LogInformation("My Number check-in not recorded: {Reason}", x.Message);
            return Refused(MyNumberPinFlow.TapAgainLine);
        }

        (int queue, TapEvent? recorded) = checkedIn;
        string line = QueueLine(queue);
        return recorded is null
            ? new TapOutcome(Verdict.Repeat, line, null, null) { Green = true }
            : Recorded(recorded, Verdict.Accept, line);
    }

    /// <summary>
    /// The card verifies the PIN and signs <c>{deviceId}|{seq}|{at}</c> of the event being recorded, <c>at</c> as the
    /// event's wire text; the event carries its certificate and the signature (base64).
    /// </summary>
    private CardJpki Prove(JpkiCard card, byte[] pin, ulong seq, DateTimeOffset at)
    {
        JpkiProof proof = card.Authenticate(pin, CardJpki.SignedMessage(_options.DeviceId, seq, ContractJson.AtText(at)));
        try
        {
            return new CardJpki { Cert = Convert.ToBase64String(proof.Certificate), Sig = Convert.ToBase64String(proof.Signature) };
        }
        finally
        {
            System.Security.Cryptography.CryptographicOperations.ZeroMemory(proof.Certificate);
        }
    }

    /// <summary>End of the run (the vehicle says so): a trip_end event closes the trips still open on this bus.</summary>
    public TapEvent? EndOfRun()
    {
        TapEvent? e;
        lock (_gate)
        {
            (string? route, string? stop) = _vehicle.Current;
            if (_options.Role != DeviceRoles.Bus)
            {
                return null;
            }

            e = _ledger.Append(seq => new TapEvent
            {
                Seq = seq,
                Type = EventTypes.TripEnd,
                At = Now(null),
                Ctx = new TapContext { Route = route, Vehicle = VehicleId, Stop = stop },
                Decision = Decisions.Accept,
            });
            _boarded.Clear();
            _vehicle.Clear();
        }

        _feedback.SetIdle("回送 / Out of service");
        return e;
    }

    /// <summary>
    /// Runs the tap path once on a synthetic card before the first tap (token, event, ledger write rolled back,
    /// feedback text), recording and showing nothing: the first passenger after a start does not wait for the JIT.
    /// </summary>
    public void WarmUp()
    {
        lock (_gate)
        {
            string tok = CardToken.Compute(_regionKey, CardTech.Iso14443A, stackalloc byte[7]);
            DateTimeOffset now = Now(null);
            SweepRecent(now);
            _ = _recent.TryGetValue(tok, out _);
            _ = _cloud.IsDenied(tok);
            var d = new BusDecision(null, "R", "S", false, false, null);
            TapOutcome outcome = Recorded(new TapEvent { Seq = 0, Type = EventTypes.Board, At = now, Card = new CardRef { Tok = tok, Tech = CardTech.Iso14443A.ToWire() } }, Verdict.Accept, BusLine(d));
            // The repeat and trip memories' code, for a token no card has (an all-zero uid), taken out again under the gate.
            if (!_recent.ContainsKey(tok) && !_boarded.ContainsKey(tok))
            {
                _recent[tok] = (now, outcome);
                _boarded[tok] = ("R", "S", now);
                _recent.Remove(tok);
                _boarded.Remove(tok);
            }
        }

        _ledger.WarmUp();
    }

    public string VehicleId => _options.Vehicle ?? _cloud.Config?.Vehicle ?? _options.DeviceId;

    private static TapOutcome Recorded(TapEvent e, Verdict verdict, string line) =>
        new(verdict, line, e.Seq, e) { Green = verdict == Verdict.Accept };

    private static TapOutcome Refused(string line) => new(Verdict.Refused, line, null, null);

    private DateTimeOffset Now(DateTimeOffset? at)
    {
        DateTimeOffset t = at ?? _time.GetUtcNow();
        // Milliseconds are enough and keep the wire form short.
        t = new DateTimeOffset(t.UtcTicks - t.UtcTicks % TimeSpan.TicksPerMillisecond, TimeSpan.Zero);
        return t.ToOffset(_options.UtcOffset);
    }

    private DateOnly LocalDay(DateTimeOffset t) => DateOnly.FromDateTime(t.ToOffset(_options.UtcOffset).DateTime);

    /// <summary>Open boardings remembered at most (a bus carries far fewer; bounds memory whatever the clock does).</summary>
    private const int MaxRemembered = 5_000;

    private void SweepRecent(DateTimeOffset now)
    {
        // Keep the repeat and trip memories small: the terminal runs for months.
        if (now - _recentSweptAt < TimeSpan.FromMinutes(1) && _recent.Count < MaxRemembered && _boarded.Count < MaxRemembered)
        {
            return;
        }

        _recentSweptAt = now;
        foreach (string k in _recent.Where(kv => now - kv.Value.First >= _options.RepeatWindow).Select(kv => kv.Key).ToList())
        {
            _recent.Remove(k);
        }

        foreach (string k in _boarded.Where(kv => now - kv.Value.At > RuleWindows.Trip).Select(kv => kv.Key).ToList())
        {
            _boarded.Remove(k);
        }

        if (_boarded.Count >= MaxRemembered)
        {
            // Only the fare shown is at stake: the oldest boardings are forgotten first.
            foreach (string k in _boarded.OrderBy(kv => kv.Value.At).Take(_boarded.Count - MaxRemembered / 2).Select(kv => kv.Key).ToList())
            {
                _boarded.Remove(k);
            }
        }
    }
}
