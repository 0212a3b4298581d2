namespace Maebashi.Edge.Firmware.Link
{
    /// <summary>The validator's side of the serial line. On the bus it is an RS-485 transceiver whose driver-enable the
    /// board raises only while <see cref="Write"/> sends (nanoFramework's SerialMode.RS485 does it with the RTS pin).</summary>
    public interface ISerialPort
    {
        /// <summary>Copies up to <paramref name="count"/> received bytes; returns 0 at once when none are waiting.</summary>
        int Read(byte[] buffer, int offset, int count);

        /// <summary>Sends the bytes and returns when they are on the line.</summary>
        void Write(byte[] buffer, int offset, int count);
    }
}
