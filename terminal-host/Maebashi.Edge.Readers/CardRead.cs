using Maebashi.Edge.Contract.Identity;

namespace Maebashi.Edge.Readers;

/// <summary>
/// A card as a reader saw it: its tech and uid (Type A UID, FeliCa IDm, or the JPKI
/// certificate serial). <see cref="ToString"/> names only the tech, so a card never reaches a
/// log line by accident.
/// </summary>
public sealed class CardRead : IEquatable<CardRead>
{
    private readonly byte[] _uid;

    public CardRead(CardTech tech, ReadOnlySpan<byte> uid)
    {
        if (CardTechs.CheckUidLength(tech, uid.Length) is { } why)
        {
            throw new CardIOException(why);
        }

        Tech = tech;
        _uid = uid.ToArray();
    }

    public CardTech Tech { get; }

    /// <summary>The SUN message an NTAG 424 DNA city card mirrored on this read; null for any other card.</summary>
    public SunMessage? Sun { get; init; }

    /// <summary>A My Number card still on the reader that read it, for the PIN flow; null for any other card.</summary>
    public JpkiCard? Jpki { get; init; }

    public ReadOnlySpan<byte> Uid => _uid;

    /// <summary>The uid as docs/contract.md §2 writes it: uppercase hex, no separators.</summary>
    public string UidHex => Convert.ToHexString(_uid);

    public bool Equals(CardRead? other) => other is not null && other.Tech == Tech && other._uid.AsSpan().SequenceEqual(_uid);

    public override bool Equals(object? obj) => obj is CardRead other && Equals(other);

    public override int GetHashCode()
    {
        var hash = new HashCode();
        hash.Add(Tech);
        hash.AddBytes(_uid);
        return hash.ToHashCode();
    }

    public override string ToString() => $"{Tech.ToWire()} card";
}

/// <summary>
/// What an NTAG 424 DNA mirrored on one read (docs/contract.md §2): the encrypted PICC data (16 bytes) and the SDMMAC
/// (8 bytes). Only the ingest can decrypt or check them; they are not secret and identify the read, not the person.
/// </summary>
public sealed record SunMessage(byte[] Encrypted, byte[] Mac)
{
    public string EncryptedHex => Convert.ToHexString(Encrypted);

    public string MacHex => Convert.ToHexString(Mac);
}
