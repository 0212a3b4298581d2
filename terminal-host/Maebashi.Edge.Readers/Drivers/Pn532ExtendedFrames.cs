using System.Device.I2c;
using System.Device.Spi;

namespace Maebashi.Edge.Readers.Drivers;

/// <summary>
/// Iot.Device.Bindings 4.2.0's PN532 checks an extended information frame's length checksum as
/// <c>(byte)(LENM·256 + LENL + LCS) == 0</c>, i.e. against LENL alone, while the PN532 (UM0701-02 §6.2.1.3) makes
/// <c>LENM + LENL + LCS = 0</c>. So every answer of more than 252 bytes — a My Number card's 256-byte signature — is
/// dropped as garbled. These bus decorators rewrite LCS, as the chip sent it, into the form the binding checks, and
/// only for an extended frame whose LCS is right: a corrupted frame stays corrupted. The serial (HSU) binding opens its
/// port itself and cannot be wrapped; see <see cref="Pn532Driver.Transact{T}"/>.
/// </summary>
internal static class Pn532ExtendedFrames
{
    /// <summary>Preamble, start code, and the extended-frame marker FF FF.</summary>
    private static ReadOnlySpan<byte> ExtendedStart => [0x00, 0x00, 0xFF, 0xFF, 0xFF];

    /// <summary>Fixes the LCS of an extended frame at the start of <paramref name="frame"/> (after an I²C ready byte).</summary>
    public static void Fix(Span<byte> frame)
    {
        int start = frame.Length > 0 && frame[0] == 0x01 ? 1 : 0;
        if (frame.Length >= start + 8 && frame.Slice(start, 5).SequenceEqual(ExtendedStart))
        {
            frame[start + 7] = Fixed(frame[start + 5], frame[start + 6], frame[start + 7]);
        }
    }

    /// <summary>The LCS the binding accepts, when <paramref name="lcs"/> is the chip's correct one.</summary>
    public static byte Fixed(byte lenM, byte lenL, byte lcs) =>
        (byte)(lenM + lenL + lcs) == 0 ? (byte)(0x100 - lenL) : lcs;

    public sealed class I2c(I2cDevice inner) : I2cDevice
    {
        public override I2cConnectionSettings ConnectionSettings => inner.ConnectionSettings;

        public override byte ReadByte() => inner.ReadByte();

        public override void Read(Span<byte> buffer)
        {
            inner.Read(buffer);
            Fix(buffer);
        }

        public override void WriteByte(byte value) => inner.WriteByte(value);

        public override void Write(ReadOnlySpan<byte> buffer) => inner.Write(buffer);

        public override void WriteRead(ReadOnlySpan<byte> writeBuffer, Span<byte> readBuffer)
        {
            inner.WriteRead(writeBuffer, readBuffer);
            Fix(readBuffer);
        }

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                inner.Dispose();
            }

            base.Dispose(disposing);
        }
    }

    /// <summary>SPI: the binding reads a frame byte by byte after writing the data-read byte; the bytes are counted from it.</summary>
    public sealed class Spi(SpiDevice inner) : SpiDevice
    {
        private readonly byte[] _head = new byte[8];
        private int _read;

        public override SpiConnectionSettings ConnectionSettings => inner.ConnectionSettings;

        public override byte ReadByte()
        {
            byte b = inner.ReadByte();
            if (_read < _head.Length)
            {
                _head[_read] = b;
                if (_read == 7 && _head.AsSpan(0, 5).SequenceEqual(ExtendedStart))
                {
                    b = Fixed(_head[5], _head[6], b);
                }

                _read++;
            }

            return b;
        }

        public override void Read(Span<byte> buffer) => inner.Read(buffer);

        public override void WriteByte(byte value)
        {
            _read = 0;
            inner.WriteByte(value);
        }

        public override void Write(ReadOnlySpan<byte> buffer)
        {
            _read = 0;
            inner.Write(buffer);
        }

        public override void TransferFullDuplex(ReadOnlySpan<byte> writeBuffer, Span<byte> readBuffer)
        {
            _read = 0;
            inner.TransferFullDuplex(writeBuffer, readBuffer);
        }

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                inner.Dispose();
            }

            base.Dispose(disposing);
        }
    }
}
