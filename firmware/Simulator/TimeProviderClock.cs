namespace Maebashi.Edge.Firmware.Simulator;

/// <summary>The firmware's clock from a <see cref="TimeProvider"/> (FakeTimeProvider in tests).</summary>
public sealed class TimeProviderClock(TimeProvider time) : IClock
{
    private readonly long _start = time.GetTimestamp();

    public long MonotonicMs => (long)time.GetElapsedTime(_start).TotalMilliseconds;

    public long UnixMs => time.GetUtcNow().ToUnixTimeMilliseconds();
}
