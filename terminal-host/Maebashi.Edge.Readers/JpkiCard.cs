using System.Security.Cryptography;
using Maebashi.Edge.Readers.Drivers;

namespace Maebashi.Edge.Readers;

/// <summary>
/// The My Number card a reader holds after its tap, for the JPKI user-authentication flow while the card stays on the
/// reader. Each call is one activation of the card through the reader that read it; the reader's own loop waits
/// meanwhile. A card that left, or another card put down in its place, fails with <see cref="CardIOException"/>.
/// </summary>
public sealed class JpkiCard
{
    private readonly CardReader _reader;
    private readonly CardRead _card;

    internal JpkiCard(CardReader reader, CardRead card)
    {
        _reader = reader;
        _card = card;
    }

    /// <summary>The user-authentication PIN's tries left (0: locked), without using one.</summary>
    public int ReadPinTriesLeft() =>
        _reader.OnHeldCard(_card, (driver, detection) => driver.Transact(detection, JpkiUserAuthentication.ReadPinTriesLeft));

    /// <summary>
    /// Verifies the 4-digit <paramref name="pin"/> (ASCII digits) and has the card sign <paramref name="message"/>
    /// with its user-authentication key (RSA PKCS#1 v1.5, SHA-256). Throws <see cref="JpkiPinRefusedException"/> when
    /// the card refuses the PIN. The caller wipes <paramref name="pin"/>; the copies made here are wiped.
    /// </summary>
    public JpkiProof Authenticate(ReadOnlySpan<byte> pin, ReadOnlySpan<byte> message)
    {
        byte[] pinCopy = pin.ToArray();
        byte[] messageCopy = message.ToArray();
        byte[] serial = _card.Uid.ToArray();
        try
        {
            return _reader.OnHeldCard(_card, (driver, detection) =>
                driver.Transact(detection, (transceiver, target) => JpkiUserAuthentication.Authenticate(transceiver, target, pinCopy, serial, messageCopy)));
        }
        finally
        {
            CryptographicOperations.ZeroMemory(pinCopy);
        }
    }

    public override string ToString() => "jpki card on its reader";
}

/// <summary>What the card proves after its PIN: its user-authentication certificate (DER) and its signature.</summary>
public sealed class JpkiProof(byte[] certificate, byte[] signature)
{
    public byte[] Certificate { get; } = certificate;

    public byte[] Signature { get; } = signature;

    /// <summary>Never prints the certificate (it names the holder).</summary>
    public override string ToString() => "jpki proof";
}

/// <summary>The card refused the PIN: <see cref="TriesLeft"/> tries are left, none when it is locked.</summary>
public sealed class JpkiPinRefusedException(int triesLeft)
    : Exception(triesLeft == 0 ? "the user-authentication PIN is locked" : $"wrong user-authentication PIN, {triesLeft} tries left")
{
    public int TriesLeft { get; } = triesLeft;

    public bool Locked => TriesLeft == 0;
}
