using System.ComponentModel;
using System.Runtime.InteropServices;

namespace Maebashi.Edge.TestSupport;

/// <summary>
/// Waits for a process that is not this one's child to end (Linux: a pidfd, readable once the process has exited —
/// its memory released, whether or not its new parent has reaped it yet).
/// </summary>
public static partial class ProcessExit
{
    private const int PidfdOpen = 434; // SYS_pidfd_open, the same number on every Linux architecture since 5.3
    private const short PollIn = 0x1;
    private const int NoSuchProcess = 3; // ESRCH

    /// <summary>True once the process <paramref name="pid"/> has exited (or was gone already), false when <paramref name="timeout"/> passed first.</summary>
    public static bool WaitFor(int pid, TimeSpan timeout)
    {
        int fd = (int)Syscall(PidfdOpen, pid, 0);
        if (fd < 0)
        {
            int error = Marshal.GetLastPInvokeError();
            return error == NoSuchProcess ? true : throw new Win32Exception(error, $"pidfd_open({pid})");
        }

        try
        {
            var poll = new PollFd { Fd = fd, Events = PollIn };
            int ready = Poll(ref poll, 1, (int)Math.Min(int.MaxValue, (long)timeout.TotalMilliseconds));
            return ready < 0 ? throw new Win32Exception(Marshal.GetLastPInvokeError(), $"poll(pidfd of {pid})") : ready > 0;
        }
        finally
        {
            _ = Close(fd); // a pidfd of ours: nothing to do if closing it fails
        }
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct PollFd
    {
        public int Fd;
        public short Events;
        public short Revents;
    }

    [LibraryImport("libc", EntryPoint = "syscall", SetLastError = true)]
    private static partial long Syscall(long number, int pid, uint flags);

    [LibraryImport("libc", EntryPoint = "poll", SetLastError = true)]
    private static partial int Poll(ref PollFd fds, ulong count, int timeoutMillis);

    [LibraryImport("libc", EntryPoint = "close")]
    private static partial int Close(int fd);
}
