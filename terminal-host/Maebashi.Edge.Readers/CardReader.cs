using System.Runtime.CompilerServices;
using Maebashi.Edge.Contract.Identity;
using Maebashi.Edge.Readers.Drivers;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Maebashi.Edge.Readers;

/// <summary>
/// One card reader — an MFRC522 or a PN532 on SPI, I²C or a serial line — as a stream of taps.
/// The presence state machine: wait for start (open the chip) → wait for card → process (read
/// it) → wait for removal. A card held on the reader is one tap; it taps again only after it
/// has left the field, and a return within the repeat window is the same tap. Two cards in the
/// field give no tap and a "カードは1枚ずつ / One card at a time" event. A reader that stops
/// answering is found by a probe at least every <see cref="ReaderSettings.ProbeInterval"/> of
/// idle time, re-initialised (reset pin when wired, else soft reset and a new driver) and
/// counted in <see cref="Health"/>. <see cref="Poll"/> never throws; nothing of a card but
/// (tech, uid) is kept, and no uid is logged.
/// </summary>
public sealed class CardReader : IDisposable
{
    private readonly Lock _gate = new();
    private readonly ReaderBus _bus;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly Func<IReaderDriver> _connect;

    private IReaderDriver? _driver;
    private ReaderState _state = ReaderState.WaitForStart;
    private DateTimeOffset _nextStartAttempt;
    private DateTimeOffset _lastProbe;
    private DateTimeOffset? _lastContact;
    private bool _failed;
    private bool _everStarted;
    private CardRead? _held;
    private Detection? _heldDetection;
    private int _misses;
    private CardRead? _lastTap;
    private DateTimeOffset _lastTapAt;
    private string? _lastError;
    private DateTimeOffset? _lastErrorAt;
    private int _resets;
    private int _failures;
    private long _taps;
    private string? _chipWarning;
    private bool _disposed;

    public CardReader(ReaderKind kind, ReaderBus bus, ReaderSettings? settings = null, TimeProvider? time = null, ILogger<CardReader>? logger = null)
    {
        _bus = bus ?? throw new ArgumentNullException(nameof(bus));
        if (bus.Type != kind.Bus())
        {
            throw new ArgumentException($"a {kind.ToWire()} reader needs a {kind.Bus()} bus, not {bus.Type}", nameof(bus));
        }

        Kind = kind;
        Settings = settings ?? new ReaderSettings();
        _time = time ?? TimeProvider.System;
        _logger = logger ?? NullLogger<CardReader>.Instance;
        _connect = kind.Chip() == ReaderChip.Mfrc522 ? () => new Mfrc522Driver(_bus) : () => new Pn532Driver(_bus);
        _nextStartAttempt = _time.GetUtcNow();
    }

    public ReaderKind Kind { get; }

    public ReaderSettings Settings { get; }

    /// <summary>The card techs this reader can see (MFRC522: iso14443a; PN532: iso14443a, felica, jpki).</summary>
    public IReadOnlyList<CardTech> Techs => Kind.Techs();

    public ReaderState State
    {
        get
        {
            lock (_gate)
            {
                return _state;
            }
        }
    }

    public ReaderHealth Health
    {
        get
        {
            lock (_gate)
            {
                return new ReaderHealth(Kind.ToWire(), _state, _driver is not null && !_failed, _lastError, _lastErrorAt, _resets, _failures, _taps, _chipWarning, _lastContact);
            }
        }
    }

    /// <summary>
    /// Reader events until <paramref name="cancellationToken"/> is cancelled: one
    /// <see cref="Poll"/> every <see cref="ReaderSettings.PollInterval"/> on the injected clock.
    /// </summary>
    public async IAsyncEnumerable<ReaderEvent> ReadEventsAsync([EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        while (!cancellationToken.IsCancellationRequested && !IsDisposed)
        {
            // The bindings block on their own bus timeouts: keep them off the caller's thread.
            ReaderEvent? happened = await Task.Run(Poll, cancellationToken).ConfigureAwait(false);
            if (happened is not null)
            {
                yield return happened;
                continue;
            }

            try
            {
                await Task.Delay(Settings.PollInterval, _time, cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                yield break;
            }
        }
    }

    /// <summary>Only the taps, as <c>(tech, uid)</c>.</summary>
    public async IAsyncEnumerable<CardRead> ReadTapsAsync([EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        await foreach (ReaderEvent happened in ReadEventsAsync(cancellationToken).ConfigureAwait(false))
        {
            if (happened is { Kind: ReaderEventKind.Tap, Card: { } card })
            {
                yield return card;
            }
        }
    }

    private bool IsDisposed
    {
        get
        {
            lock (_gate)
            {
                return _disposed;
            }
        }
    }

    /// <summary>
    /// One step of the state machine. Never throws; returns what happened, if anything a user
    /// would notice. After <see cref="Dispose"/> it does nothing and returns null.
    /// </summary>
    public ReaderEvent? Poll()
    {
        lock (_gate)
        {
            if (_disposed)
            {
                return null;
            }

            DateTimeOffset now = _time.GetUtcNow();
            try
            {
                return _state switch
                {
                    ReaderState.WaitForStart => Start(now),
                    ReaderState.WaitForRemoval => WatchHeldCard(now),
                    ReaderState.WaitForSingleCard => WatchCrowd(now),
                    _ => LookForCard(now),
                };
            }
            catch (ReaderIOException e)
            {
                return Fail(now, e);
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                // A driver defect must not stop the loop: treat it as a reader failure and start over.
                return Fail(now, new ReaderIOException($"unexpected {e.GetType().Name}: {e.Message}", e));
            }
        }
    }

    private ReaderEvent? Start(DateTimeOffset now)
    {
        if (now < _nextStartAttempt)
        {
            return null;
        }

        if (_everStarted)
        {
            _resets++;
            _logger.LogWarning("Re-initialising reader {Kind} ({Method}), reset {Resets}", Kind.ToWire(), _bus.HasResetPin ? "reset pin" : "soft reset and new driver", _resets);
        }

        _everStarted = true;
        try
        {
            _driver = _connect();
        }
        catch (ReaderIOException e)
        {
            _nextStartAttempt = now + Settings.RecoveryBackoff;
            return Fail(now, e);
        }

        _chipWarning = _driver.ChipWarning;
        if (_chipWarning is not null)
        {
            _logger.LogWarning("Reader {Kind}: {Warning}", Kind.ToWire(), _chipWarning);
        }

        _lastProbe = now;
        _lastContact = now;
        _misses = 0;
        bool wasFailed = _failed;
        _failed = false;
        // A card held through a reader reset is still the same tap.
        _state = _held is not null ? ReaderState.WaitForRemoval : ReaderState.WaitForCard;
        _logger.LogInformation("Reader {Kind} ready", Kind.ToWire());
        return wasFailed ? new ReaderEvent(ReaderEventKind.ReaderRecovered, now, null, ReaderEvent.MessageFor(ReaderEventKind.ReaderRecovered)) : null;
    }

    private ReaderEvent? LookForCard(DateTimeOffset now)
    {
        IReaderDriver driver = _driver!;
        ScanResult scan = driver.Scan();
        switch (scan.Outcome)
        {
            case ScanOutcome.NoCard:
                ProbeWhenDue(driver, now);
                return null;
            case ScanOutcome.SeveralCards:
                _lastContact = now;
                _state = ReaderState.WaitForSingleCard;
                _misses = 0;
                _logger.LogInformation("Reader {Kind}: several cards in the field", Kind.ToWire());
                return new ReaderEvent(ReaderEventKind.OneCardAtATime, now, null, ReaderEvent.MessageFor(ReaderEventKind.OneCardAtATime));
            default:
                _lastContact = now;
                return Process(now, scan.Card!);
        }
    }

    private ReaderEvent? Process(DateTimeOffset now, Detection detection)
    {
        _state = ReaderState.Process;
        CardRead card;
        try
        {
            card = _driver!.Read(detection);
        }
        catch (CardIOException e)
        {
            _logger.LogInformation("Reader {Kind}: card read failed ({Reason})", Kind.ToWire(), e.Message);
            if (e.Rejected)
            {
                // Not a card this reader accepts: say so once, then wait for it to leave.
                _held = null;
                _heldDetection = detection;
                _state = ReaderState.WaitForSingleCard;
                _misses = 0;
            }
            else
            {
                // The card left or garbled an answer: look again; if it is still there it is read again.
                _state = ReaderState.WaitForCard;
            }

            return new ReaderEvent(ReaderEventKind.CardFailed, now, null, ReaderEvent.MessageFor(ReaderEventKind.CardFailed));
        }

        if (card.Tech == CardTech.Jpki)
        {
            // The card stays on the reader: the terminal may run the PIN flow on it through this reader.
            card = new CardRead(card.Tech, card.Uid) { Jpki = new JpkiCard(this, card) };
        }

        _held = card;
        _heldDetection = detection;
        _misses = 0;
        _state = ReaderState.WaitForRemoval;
        if (card.Equals(_lastTap) && now - _lastTapAt < Settings.RepeatWindow)
        {
            _logger.LogInformation("Reader {Kind}: same {Tech} card again within the repeat window", Kind.ToWire(), card.Tech.ToWire());
            return new ReaderEvent(ReaderEventKind.RepeatSuppressed, now, card, ReaderEvent.MessageFor(ReaderEventKind.RepeatSuppressed));
        }

        _lastTap = card;
        _lastTapAt = now;
        _taps++;
        _logger.LogInformation("Reader {Kind}: tap of a {Tech} card", Kind.ToWire(), card.Tech.ToWire());
        return new ReaderEvent(ReaderEventKind.Tap, now, card, ReaderEvent.MessageFor(ReaderEventKind.Tap));
    }

    /// <summary>
    /// Runs <paramref name="run"/> on the card this reader holds, under the reader's lock, so the presence loop does
    /// not touch the card meanwhile. Throws <see cref="CardIOException"/> when <paramref name="card"/> is no longer the
    /// held card; a reader that fails meanwhile is re-initialised as in <see cref="Poll"/>.
    /// </summary>
    internal T OnHeldCard<T>(CardRead card, Func<IReaderDriver, Detection, T> run)
    {
        lock (_gate)
        {
            if (_disposed || _driver is not { } driver || _state != ReaderState.WaitForRemoval || _heldDetection is not { } detection || !card.Equals(_held))
            {
                throw new CardIOException("the card is no longer on the reader");
            }

            DateTimeOffset now = _time.GetUtcNow();
            try
            {
                T result = run(driver, detection);
                _lastContact = now;
                return result;
            }
            catch (ReaderIOException e)
            {
                Fail(now, e);
                throw;
            }
        }
    }

    private ReaderEvent? WatchHeldCard(DateTimeOffset now)
    {
        IReaderDriver driver = _driver!;
        Presence presence = driver.CheckPresence(_held!, _heldDetection!);
        if (presence != Presence.Absent)
        {
            _lastContact = now;
            _misses = 0;
            return null;
        }

        // Before calling the card gone, make sure it is not the reader that went quiet.
        driver.Probe();
        _lastProbe = now;
        if (++_misses >= Settings.RemovalMisses)
        {
            _held = null;
            _heldDetection = null;
            _state = ReaderState.WaitForCard;
        }

        return null;
    }

    private ReaderEvent? WatchCrowd(DateTimeOffset now)
    {
        IReaderDriver driver = _driver!;
        ScanResult scan = driver.Scan();
        switch (scan.Outcome)
        {
            case ScanOutcome.SeveralCards:
                _lastContact = now;
                _misses = 0;
                return null;
            case ScanOutcome.OneCard when _heldDetection is { } rejected && rejected.Tech == scan.Card!.Tech && rejected.Id.AsSpan().SequenceEqual(scan.Card.Id):
                // The card that was not accepted is still there.
                _lastContact = now;
                _misses = 0;
                return null;
            case ScanOutcome.OneCard:
                // The extra cards were taken away: the one left is read.
                _heldDetection = null;
                _lastContact = now;
                return Process(now, scan.Card!);
            default:
                ProbeWhenDue(driver, now);
                if (++_misses >= Settings.RemovalMisses)
                {
                    _heldDetection = null;
                    _state = ReaderState.WaitForCard;
                }

                return null;
        }
    }

    private void ProbeWhenDue(IReaderDriver driver, DateTimeOffset now)
    {
        if (now - _lastProbe < Settings.ProbeInterval)
        {
            return;
        }

        driver.Probe();
        _lastProbe = now;
        _lastContact = now;
    }

    private ReaderEvent? Fail(DateTimeOffset now, ReaderIOException e)
    {
        _failures++;
        _lastError = e.Message;
        _lastErrorAt = now;
        _logger.LogWarning("Reader {Kind} failed: {Error}", Kind.ToWire(), e.Message);
        if (_driver is { } driver)
        {
            _driver = null;
            if (!_bus.HasResetPin)
            {
                TrySoftReset(driver);
            }

            driver.Dispose();
        }

        if (_state == ReaderState.Process)
        {
            _state = ReaderState.WaitForCard;
        }

        if (_state is not (ReaderState.WaitForRemoval or ReaderState.WaitForStart))
        {
            _held = null;
        }

        _state = ReaderState.WaitForStart;
        bool first = !_failed;
        _failed = true;
        return first ? new ReaderEvent(ReaderEventKind.ReaderFailed, now, null, ReaderEvent.MessageFor(ReaderEventKind.ReaderFailed)) : null;
    }

    private void TrySoftReset(IReaderDriver driver)
    {
        try
        {
            driver.SoftReset();
        }
        catch (ReaderIOException e)
        {
            _logger.LogDebug("Soft reset of reader {Kind} failed: {Error}", Kind.ToWire(), e.Message);
        }
    }

    public void Dispose()
    {
        lock (_gate)
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            _driver?.Dispose();
            _driver = null;
        }
    }
}
