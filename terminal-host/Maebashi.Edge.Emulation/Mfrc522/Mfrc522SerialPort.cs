namespace Maebashi.Edge.Emulation.Mfrc522;

/// <summary>
/// The MFRC522's UART interface (datasheet 8.1.3, 9600 8N1) on a pseudo-terminal: the binding's
/// <c>MfRc522(string portName)</c> opens <see cref="PortName"/>. A byte with bit 7 set reads
/// register <c>(b &amp; 0x3F)</c> and the chip answers its value; a byte with bit 7 clear
/// addresses a write, the chip echoes the address, and the next byte is the value.
/// A chip that stops answering sends nothing (the driver's read times out).
/// </summary>
public sealed class Mfrc522SerialPort : IDisposable
{
    private readonly Mfrc522Chip _chip;
    private readonly PseudoTerminal _pty;
    private readonly Lock _gate = new();
    private int _pendingWrite = -1;

    public Mfrc522SerialPort(Mfrc522Chip chip)
    {
        _chip = chip ?? throw new ArgumentNullException(nameof(chip));
        _pty = new PseudoTerminal(OnBytes);
    }

    public string PortName => _pty.SlavePath;

    private void OnBytes(byte[] bytes)
    {
        List<byte> answer = [];
        lock (_gate)
        {
            foreach (byte b in bytes)
            {
                if (_pendingWrite >= 0)
                {
                    _chip.WriteRegister((byte)_pendingWrite, b);
                    _pendingWrite = -1;
                }
                else if ((b & 0x80) != 0)
                {
                    byte value = _chip.ReadRegister((byte)(b & 0x3F));
                    if (_chip.IsAnswering)
                    {
                        answer.Add(value);
                    }
                }
                else
                {
                    _pendingWrite = b & 0x3F;
                    if (_chip.IsAnswering)
                    {
                        answer.Add(b);
                    }
                }
            }
        }

        if (answer.Count > 0)
        {
            _pty.Send(answer.ToArray());
        }
    }

    public void Dispose() => _pty.Dispose();
}
