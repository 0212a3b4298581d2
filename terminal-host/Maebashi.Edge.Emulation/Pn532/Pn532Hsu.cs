namespace Maebashi.Edge.Emulation.Pn532;

/// <summary>
/// The PN532's high-speed UART (HSU, 115200 8N1) on a pseudo-terminal: the binding's
/// <c>Pn532(string portName)</c> opens <see cref="PortName"/>. Frames the host writes are parsed
/// (the 0x55 wake-up and preamble skipped), and the ACK and response are sent back at once.
/// </summary>
public sealed class Pn532Hsu : IDisposable
{
    private readonly Pn532Chip _chip;
    private readonly PseudoTerminal _pty;

    public Pn532Hsu(Pn532Chip chip)
    {
        _chip = chip ?? throw new ArgumentNullException(nameof(chip));
        _pty = new PseudoTerminal(OnBytes);
    }

    public string PortName => _pty.SlavePath;

    /// <summary>The chip side as a pair of byte handlers, for hosts that talk to it without a tty.</summary>
    public static byte[] Exchange(Pn532Chip chip, ReadOnlySpan<byte> fromHost)
    {
        chip.Receive(fromHost);
        List<byte> toHost = [];
        while (chip.TakeOutput() is { } frame)
        {
            toHost.AddRange(frame);
        }

        return [.. toHost];
    }

    private void OnBytes(byte[] bytes)
    {
        if (bytes.Length > 0 && bytes[0] == 0x55)
        {
            // The wake-up sequence (55 55 00 … then a SAMConfiguration frame): the chip wakes and
            // runs the command, but its answer is dropped. The binding discards that answer
            // anyway (DumpSerial after 5 ms); on a loaded machine a late one would otherwise be
            // read as the answer to the next command.
            Exchange(_chip, bytes);
            return;
        }

        byte[] answer = Exchange(_chip, bytes);
        if (answer.Length > 0)
        {
            _pty.Send(answer);
        }
    }

    public void Dispose() => _pty.Dispose();
}
