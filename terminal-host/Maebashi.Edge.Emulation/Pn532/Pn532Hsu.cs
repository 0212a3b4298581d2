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
        byte[] answer = Exchange(_chip, bytes);
        if (answer.Length > 0)
        {
            _pty.Send(answer);
        }
    }

    public void Dispose() => _pty.Dispose();
}
