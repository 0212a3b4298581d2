using System.Runtime.InteropServices;

namespace Maebashi.Edge.Bench.History;

/// <summary>
/// The calling thread's CPU time (Linux <c>clock_gettime(CLOCK_THREAD_CPUTIME_ID)</c>, nanoseconds): what a call costs
/// on its own thread, without the process's other threads (the store's, the runtime's) and without the process
/// clock's 10 ms ticks.
/// </summary>
internal static partial class ThreadCpuClock
{
    private const int ClockThreadCpuTimeId = 3;

    public static double Microseconds()
    {
        var ts = new long[2];
        if (ClockGetTime(ClockThreadCpuTimeId, ts) != 0)
        {
            throw new InvalidOperationException($"clock_gettime(CLOCK_THREAD_CPUTIME_ID) failed: errno {Marshal.GetLastPInvokeError()}");
        }

        return ts[0] * 1e6 + ts[1] / 1e3;
    }

    // struct timespec { time_t tv_sec; long tv_nsec; }: two 64-bit fields on the 64-bit Linux this bench runs on.
    [LibraryImport("libc", EntryPoint = "clock_gettime", SetLastError = true)]
    private static partial int ClockGetTime(int clock, [Out] long[] timespec);
}
