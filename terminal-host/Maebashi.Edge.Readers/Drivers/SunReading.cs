using Iot.Device.Card;
using Maebashi.Edge.Firmware.IsoDep;

namespace Maebashi.Edge.Readers.Drivers;

/// <summary>
/// Reads an NTAG 424 DNA's SUN message with the firmware core's <see cref="SunMessageReader"/> (the validator runs the
/// same code), over whichever APDU transport the chip offers. A card without one (another ISO-DEP card, a copy of a
/// city card's UID) reads as no message: the ingest decides what that means for the card.
/// </summary>
internal static class SunReading
{
    /// <summary>Only a 7-byte Type A UID can be an NTAG 424 DNA; other cards are not asked.</summary>
    public static bool Applies(Detection card) => card.IsoDep && card.Id.Length == 7;

    public static SunMessage? TryRead(IApduTransport card)
    {
        byte[] encrypted = new byte[SunMessageReader.EncryptedLength];
        byte[] mac = new byte[SunMessageReader.MacLength];
        return new SunMessageReader().TryRead(card, encrypted, mac) ? new SunMessage(encrypted, mac) : null;
    }
}

/// <summary>APDUs through an Iot.Device.Bindings reader that runs ISO/IEC 14443-4 itself (the PN532's InDataExchange).</summary>
internal sealed class BindingApduTransport(CardTransceiver reader, byte target) : IApduTransport
{
    /// <summary>An exchange got no answer at all (the card left or went silent), as opposed to a refusing status word.</summary>
    public bool Unanswered { get; private set; }

    public int Exchange(byte[] command, int length, byte[] response)
    {
        int n = reader.Transceive(target, command.AsSpan(0, length), response, NfcProtocol.Iso14443_4);
        if (n < 2)
        {
            Unanswered = true;
            return -1;
        }

        return n;
    }
}
