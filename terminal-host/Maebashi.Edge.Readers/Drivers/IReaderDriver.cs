using Iot.Device.Card;
using Maebashi.Edge.Contract.Identity;

namespace Maebashi.Edge.Readers.Drivers;

/// <summary>What a scan of the field found.</summary>
internal enum ScanOutcome
{
    NoCard,
    OneCard,
    SeveralCards,
}

/// <summary>
/// A card found by a scan, not yet read (a JPKI card still needs its certificate read, an ISO-DEP Type A card may
/// carry a SUN message).
/// </summary>
internal sealed record Detection(CardTech Tech, byte[] Id, byte TargetNumber, bool IsoDep = false);

internal readonly record struct ScanResult(ScanOutcome Outcome, Detection? Card)
{
    public static ScanResult None => new(ScanOutcome.NoCard, null);

    public static ScanResult Several => new(ScanOutcome.SeveralCards, null);

    public static ScanResult One(Detection card) => new(ScanOutcome.OneCard, card);
}

internal enum Presence
{
    Absent,
    Present,
    Crowded,
}

/// <summary>
/// One live connection to a reader chip through its Iot.Device.Bindings driver. Methods throw
/// <see cref="ReaderIOException"/> when the reader fails and <see cref="CardIOException"/> when
/// the card does; nothing else escapes.
/// </summary>
internal interface IReaderDriver : IDisposable
{
    /// <summary>Set when the chip works but does not identify as a genuine part (e.g. an MFRC522 clone).</summary>
    string? ChipWarning { get; }

    ScanResult Scan();

    CardRead Read(Detection card);

    Presence CheckPresence(CardRead card, Detection detection);

    /// <summary>Asks the chip something only a working chip answers correctly.</summary>
    void Probe();

    /// <summary>The chip's own reset short of the reset pin, before the driver is re-created.</summary>
    void SoftReset();

    /// <summary>
    /// Activates the held <paramref name="card"/> again and runs <paramref name="apdus"/> on it over ISO/IEC 14443-4
    /// (a My Number card's PIN flow), then releases it. Readers that cannot (the MFRC522 reads no Type B) refuse.
    /// </summary>
    T Transact<T>(Detection card, Func<CardTransceiver, byte, T> apdus) =>
        throw new CardIOException($"this reader cannot exchange APDUs with a {card.Tech.ToWire()} card", rejected: true);
}
