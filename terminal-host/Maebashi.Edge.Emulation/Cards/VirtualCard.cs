namespace Maebashi.Edge.Emulation.Cards;

/// <summary>The radio technology a virtual card answers on.</summary>
public enum CardAirInterface
{
    /// <summary>ISO 14443 Type A at 106 kbps (MIFARE, Ultralight/NTAG, generic Type A).</summary>
    TypeA,

    /// <summary>ISO 14443 Type B at 106 kbps (My Number card).</summary>
    TypeB,

    /// <summary>FeliCa at 212/424 kbps.</summary>
    Felica,
}

/// <summary>A card that can be placed in an emulated reader's field.</summary>
public abstract class VirtualCard
{
    public abstract CardAirInterface AirInterface { get; }

    /// <summary>What the card is, for test names and diagnostics (never personal data).</summary>
    public abstract string Describe();

    public override string ToString() => Describe();
}
