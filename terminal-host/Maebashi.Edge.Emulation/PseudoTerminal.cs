using System.ComponentModel;
using System.Runtime.InteropServices;

namespace Maebashi.Edge.Emulation;

/// <summary>
/// A Linux pseudo-terminal pair: a driver opens <see cref="SlavePath"/> with
/// <c>System.IO.Ports.SerialPort</c>, exactly as it would open <c>/dev/ttyS0</c>, and an
/// emulated chip sits on the master side. <c>SerialPort</c> is a sealed OS-backed class that
/// cannot be fed a fake stream, so the bytes go through the kernel's tty layer instead.
/// </summary>
public sealed partial class PseudoTerminal : IDisposable
{
    private const int ORdWr = 0x2;
    private const int ONoCtty = 0x100;
    private const short PollIn = 0x1;

    private readonly int _master;
    private readonly int _slaveKeepAlive;
    private readonly Thread _pump;
    private readonly Action<byte[]> _onReceived;
    private volatile bool _stopping;

    /// <summary>Opens a pair; <paramref name="onReceived"/> runs on a pump thread for every chunk the driver writes.</summary>
    public PseudoTerminal(Action<byte[]> onReceived)
    {
        if (!OperatingSystem.IsLinux())
        {
            throw new PlatformNotSupportedException("pseudo-terminals for the UART/HSU emulators need Linux");
        }

        _onReceived = onReceived ?? throw new ArgumentNullException(nameof(onReceived));
        _master = PosixOpenpt(ORdWr | ONoCtty);
        if (_master < 0 || Grantpt(_master) != 0 || Unlockpt(_master) != 0)
        {
            throw new Win32Exception(Marshal.GetLastPInvokeError(), "cannot open a pseudo-terminal");
        }

        byte[] name = new byte[128];
        if (PtsnameR(_master, name, name.Length) != 0)
        {
            throw new Win32Exception(Marshal.GetLastPInvokeError(), "ptsname_r failed");
        }

        SlavePath = System.Text.Encoding.ASCII.GetString(name, 0, Array.IndexOf(name, (byte)0));
        // Keep one slave descriptor open so the master never sees a hang-up between the
        // driver's opens, and make the line raw (no echo, no line editing, 8-bit clean).
        _slaveKeepAlive = Open(SlavePath, ORdWr | ONoCtty);
        if (_slaveKeepAlive < 0)
        {
            throw new Win32Exception(Marshal.GetLastPInvokeError(), $"cannot open {SlavePath}");
        }

        byte[] termios = new byte[256];
        if (Tcgetattr(_slaveKeepAlive, termios) == 0)
        {
            Cfmakeraw(termios);
            _ = Tcsetattr(_slaveKeepAlive, 0, termios);
        }

        _pump = new Thread(Pump) { IsBackground = true, Name = $"pty {SlavePath}" };
        _pump.Start();
    }

    /// <summary>The device path a driver opens, e.g. <c>/dev/pts/3</c>.</summary>
    public string SlavePath { get; }

    /// <summary>Bytes from the emulated chip to the driver.</summary>
    public void Send(ReadOnlySpan<byte> bytes)
    {
        byte[] buffer = bytes.ToArray();
        int offset = 0;
        while (offset < buffer.Length && !_stopping)
        {
            nint written = Write(_master, buffer.AsSpan(offset), buffer.Length - offset);
            if (written < 0)
            {
                return;
            }

            offset += (int)written;
        }
    }

    private void Pump()
    {
        byte[] buffer = new byte[4096];
        var fds = new PollFd[] { new() { Fd = _master, Events = PollIn } };
        while (!_stopping)
        {
            fds[0].Revents = 0;
            int ready = Poll(fds, 1, 50);
            if (ready <= 0 || (fds[0].Revents & PollIn) == 0)
            {
                continue;
            }

            nint count = Read(_master, buffer, buffer.Length);
            if (count > 0)
            {
                _onReceived(buffer.AsSpan(0, (int)count).ToArray());
            }
        }
    }

    public void Dispose()
    {
        if (_stopping)
        {
            return;
        }

        _stopping = true;
        _pump.Join(TimeSpan.FromSeconds(2));
        _ = Close(_slaveKeepAlive);
        _ = Close(_master);
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct PollFd
    {
        public int Fd;
        public short Events;
        public short Revents;
    }

    [LibraryImport("libc", EntryPoint = "posix_openpt", SetLastError = true)]
    private static partial int PosixOpenpt(int flags);

    [LibraryImport("libc", EntryPoint = "grantpt", SetLastError = true)]
    private static partial int Grantpt(int fd);

    [LibraryImport("libc", EntryPoint = "unlockpt", SetLastError = true)]
    private static partial int Unlockpt(int fd);

    [LibraryImport("libc", EntryPoint = "ptsname_r", SetLastError = true)]
    private static partial int PtsnameR(int fd, [Out] byte[] buffer, nint length);

    [LibraryImport("libc", EntryPoint = "open", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Open(string path, int flags);

    [LibraryImport("libc", EntryPoint = "close", SetLastError = true)]
    private static partial int Close(int fd);

    [LibraryImport("libc", EntryPoint = "read", SetLastError = true)]
    private static partial nint Read(int fd, [Out] byte[] buffer, nint count);

    [LibraryImport("libc", EntryPoint = "write", SetLastError = true)]
    private static partial nint Write(int fd, ReadOnlySpan<byte> buffer, nint count);

    [LibraryImport("libc", EntryPoint = "poll", SetLastError = true)]
    private static partial int Poll([In, Out] PollFd[] fds, nuint count, int timeout);

    [LibraryImport("libc", EntryPoint = "tcgetattr", SetLastError = true)]
    private static partial int Tcgetattr(int fd, [Out] byte[] termios);

    [LibraryImport("libc", EntryPoint = "tcsetattr", SetLastError = true)]
    private static partial int Tcsetattr(int fd, int optionalActions, byte[] termios);

    [LibraryImport("libc", EntryPoint = "cfmakeraw")]
    private static partial void Cfmakeraw([In, Out] byte[] termios);
}
