namespace Maebashi.Edge.Firmware.IsoDep
{
    /// <summary>
    /// ISO/IEC 7816-4 command APDUs to an activated ISO/IEC 14443-4 card: the PN532 runs the block protocol itself
    /// (InDataExchange), the MFRC522 through <see cref="IsoDepSession"/>.
    /// </summary>
    public interface IApduTransport
    {
        /// <summary>
        /// Sends <paramref name="command"/>[0, <paramref name="length"/>) and writes the response (data, then SW1 SW2) to
        /// <paramref name="response"/>. Returns the response's length, or -1 when the card did not answer or the
        /// exchange failed.
        /// </summary>
        int Exchange(byte[] command, int length, byte[] response);
    }
}
