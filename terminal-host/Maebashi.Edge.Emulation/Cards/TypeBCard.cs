namespace Maebashi.Edge.Emulation.Cards;

/// <summary>
/// An ISO 14443 Type B card with ISO 14443-4 (ISO-DEP): answers REQB/ATTRIB with its PUPI and
/// takes APDUs once activated. The PN532 runs the block protocol itself, so the emulator works
/// at APDU level.
/// </summary>
public abstract class TypeBCard : VirtualCard, IPoweredCard
{
    private readonly byte[] _pupi;

    protected TypeBCard(ReadOnlySpan<byte> pupi)
    {
        if (pupi.Length != 4)
        {
            throw new ArgumentException("a Type B PUPI has 4 bytes", nameof(pupi));
        }

        _pupi = pupi.ToArray();
    }

    public override CardAirInterface AirInterface => CardAirInterface.TypeB;

    /// <summary>The pseudo-unique PICC identifier (random per session on privacy-minded cards).</summary>
    public ReadOnlySpan<byte> Pupi => _pupi;

    /// <summary>Application family the card belongs to (0 answers every AFI).</summary>
    public byte Afi { get; init; }

    /// <summary>ATQB (ISO 14443-3 7.9): 0x50, PUPI, application data, protocol info (ISO 14443-4 compliant, FSCI 256).</summary>
    public byte[] Atqb() => [0x50, .. _pupi, 0x00, 0x00, 0x00, 0x00, 0x00, 0x81, 0x81];

    /// <summary>Whether the card answers a REQB with this AFI.</summary>
    public bool AnswersAfi(byte afi) => afi == 0 || Afi == 0 || afi == Afi || ((afi & 0x0F) == 0 && (afi & 0xF0) == (Afi & 0xF0));

    /// <summary>An APDU (ISO 7816-4) to the activated card; returns the response with SW1 SW2.</summary>
    public abstract byte[] ProcessApdu(ReadOnlySpan<byte> apdu);

    public abstract void Reset();
}
