using Maebashi.Edge.Contract.Identity;
using Maebashi.Edge.Contract.Messages;

namespace Maebashi.Edge.Terminal.Taps;

/// <summary>
/// One card read as a reader or validator reports it: the tech and the raw UID bytes, from a named
/// reader at a door. The raw UID stays inside the terminal: it is turned into a card token at once
/// and is never logged, stored or sent.
/// </summary>
public sealed class CardRead
{
    public CardRead(CardTech tech, ReadOnlyMemory<byte> uid, string reader)
    {
        if (CardTechs.CheckUidLength(tech, uid.Length) is { } why)
        {
            throw new ArgumentException(why, nameof(uid));
        }

        ArgumentException.ThrowIfNullOrEmpty(reader);
        Tech = tech;
        Uid = uid;
        Reader = reader;
    }

    public CardTech Tech { get; }

    public ReadOnlyMemory<byte> Uid { get; }

    /// <summary>The configured name of the reader (or validator) that saw the card.</summary>
    public string Reader { get; }

    /// <summary>The SUN message an NTAG 424 DNA city card mirrored on this read, as the event carries it (docs/contract.md §2).</summary>
    public CardSun? Sun { get; init; }

    /// <summary>A My Number card still on its reader, for the PIN flow at clinic reception; null for other reads.</summary>
    public Readers.JpkiCard? Jpki { get; init; }

    /// <summary>A reader's SUN message in the wire's hex.</summary>
    public static CardSun? SunOf(Readers.SunMessage? sun) => sun is null ? null : new CardSun { E = sun.EncryptedHex, C = sun.MacHex };

    /// <summary>Set by a validator that accepted on its own without the host's verdict (docs/contract.md §3).</summary>
    public bool Offline { get; init; }

    /// <summary>When a validator read the card, if earlier than now (a validator's backlog); null means now.</summary>
    public DateTimeOffset? At { get; init; }

    /// <summary>
    /// A validator's own final decision (<c>accept</c>/<c>deny</c>) for the tap it recorded; null means the
    /// terminal decides. The ride happened if the validator accepted, whatever the deny list says now.
    /// </summary>
    public string? Decision { get; init; }

    /// <summary>Never prints the UID (logs are written from objects more often than one expects).</summary>
    public override string ToString() => $"{Tech.ToWire()} card at reader {Reader}";
}

/// <summary>The verdict the terminal gives a tap, as shown to the passenger.</summary>
public enum Verdict
{
    /// <summary>Accepted and recorded: green.</summary>
    Accept,

    /// <summary>Decided deny and recorded: red.</summary>
    Deny,

    /// <summary>The same card within the repeat window: the first tap's feedback again, nothing recorded.</summary>
    Repeat,

    /// <summary>Not recorded at all (no route set, no event today, storage full): red, with the reason.</summary>
    Refused,
}

/// <summary>What the terminal answered a tap: the verdict, the text line shown, and the ledger entry if one was written.</summary>
public sealed record TapOutcome(Verdict Verdict, string Display, ulong? Seq, TapEvent? Event)
{
    /// <summary>Green light: accepted now or a repeat of an accepted tap.</summary>
    public bool Green { get; init; }

    /// <summary>The provisional fare shown on alighting, in yen.</summary>
    public long? Fare { get; init; }
}

/// <summary>Where tap sources deliver card reads: the terminal's tap pipeline.</summary>
public interface ITapSink
{
    /// <summary>Decides the tap, commits it durably, shows the feedback and returns the outcome.</summary>
    ValueTask<TapOutcome> TapAsync(CardRead read, CancellationToken cancellationToken = default);

    /// <summary>A reader's own word for the passenger (one card at a time, tap again); shown, nothing recorded.</summary>
    void Notice(string line)
    {
    }

    /// <summary>
    /// Decides a tap without recording it (a validator asks before it records the tap itself). Sinks that
    /// can only decide by recording do not offer it.
    /// </summary>
    TapOutcome Preview(CardRead read) => throw new NotSupportedException("this tap sink cannot decide a tap without recording it");
}

/// <summary>
/// A card reader, a validator or any other producer of card reads. The terminal runs every
/// configured source and feeds their reads into its pipeline.
/// </summary>
public interface ITapSource
{
    /// <summary>Name from the configuration, used in events (<c>ctx.door</c>) and in status.</summary>
    string Name { get; }

    /// <summary>The techs this source can read (an MFRC522 reads Type A only).</summary>
    IReadOnlyList<CardTech> Techs { get; }

    /// <summary>Reads cards until cancelled, handing each read to the sink.</summary>
    Task RunAsync(ITapSink sink, CancellationToken cancellationToken);

    /// <summary>Health and counters for <c>status</c> and <c>doctor</c>.</summary>
    ReaderStatus Snapshot();
}
