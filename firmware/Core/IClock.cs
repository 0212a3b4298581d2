namespace Maebashi.Edge.Firmware
{
    /// <summary>Time for the core, injected so tests and the simulator control it.</summary>
    public interface IClock
    {
        /// <summary>Monotonic milliseconds since an arbitrary start (timeouts, repeat window, feedback patterns).</summary>
        long MonotonicMs { get; }

        /// <summary>Wall-clock time as Unix milliseconds (UTC) for the tap's event time; set from the host's hello reply.</summary>
        long UnixMs { get; }
    }
}
