namespace Maebashi.Edge.Contract.Identity;

/// <summary>The card technologies of docs/contract.md §2, with their wire names.</summary>
public enum CardTech
{
    /// <summary>City-issued ISO 14443 Type A card; uid is its 4-, 7- or 10-byte UID.</summary>
    Iso14443A,

    /// <summary>FeliCa transit card; uid is the 8-byte IDm.</summary>
    Felica,

    /// <summary>My Number card; uid is the serial number of the JPKI user-authentication certificate.</summary>
    Jpki,
}

public static class CardTechs
{
    public const string Iso14443A = "iso14443a";
    public const string Felica = "felica";
    public const string Jpki = "jpki";

    public static readonly IReadOnlyList<string> All = [Iso14443A, Felica, Jpki];

    public static string ToWire(this CardTech tech) => tech switch
    {
        CardTech.Iso14443A => Iso14443A,
        CardTech.Felica => Felica,
        CardTech.Jpki => Jpki,
        _ => throw new ArgumentOutOfRangeException(nameof(tech), tech, "unknown card tech"),
    };

    public static bool TryParse(string? wire, out CardTech tech)
    {
        switch (wire)
        {
            case Iso14443A: tech = CardTech.Iso14443A; return true;
            case Felica: tech = CardTech.Felica; return true;
            case Jpki: tech = CardTech.Jpki; return true;
            default: tech = default; return false;
        }
    }

    /// <summary>Whether a UID of this many bytes is plausible for the tech, or why not.</summary>
    public static string? CheckUidLength(CardTech tech, int bytes) => tech switch
    {
        CardTech.Iso14443A when bytes is not (4 or 7 or 10) => $"an ISO 14443A UID has 4, 7 or 10 bytes, not {bytes}",
        CardTech.Felica when bytes != 8 => $"a FeliCa IDm has 8 bytes, not {bytes}",
        CardTech.Jpki when bytes is < 1 or > 20 => $"a certificate serial has 1 to 20 bytes, not {bytes}",
        _ => null,
    };
}
