using Maebashi.Edge.Ingest.Store;
using Maebashi.Edge.Ingest.Web;
using Microsoft.Extensions.Time.Testing;

namespace Maebashi.Edge.Ingest.Tests;

/// <summary>The sign-in throttle's memory: locks end, addresses are bounded.</summary>
[Trait("Category", "Web")]
public sealed class ThrottleTests : IDisposable
{
    // Accounts' failures live in the store; the embedded one here (the conformance suite runs them on both stores).
    private readonly LiteDbIngestStore _store = new(TestKit.TempDir());

    public void Dispose() => _store.Dispose();

    [Fact]
    public void A_lock_ends_when_its_window_has_passed_so_guesses_cannot_keep_a_clerk_out_for_good()
    {
        FakeTimeProvider time = Clocks.At("2026-12-05T09:00:00+09:00");
        var throttle = new SignInThrottle(time, _store, SignInRealm.Operator);
        for (int i = 0; i < SignInThrottle.AccountFailures; i++)
        {
            throttle.RecordFailure("clerk", "10.0.0.1");
        }

        Assert.Equal(SignInRefusal.AccountLocked, throttle.Check("clerk", "10.0.0.2"));
        Assert.Equal(SignInRefusal.None, throttle.Check("other", "10.0.0.2"));
        time.Advance(SignInThrottle.Window);
        Assert.Equal(SignInRefusal.None, throttle.Check("clerk", "10.0.0.2"));
        Assert.Empty(throttle.Locked());
    }

    [Fact]
    public void Failures_spread_over_more_than_the_window_do_not_lock()
    {
        FakeTimeProvider time = Clocks.At("2026-12-05T09:00:00+09:00");
        var throttle = new SignInThrottle(time, _store, SignInRealm.Operator);
        for (int i = 0; i < SignInThrottle.AccountFailures * 3; i++)
        {
            Assert.False(throttle.RecordFailure("clerk", $"10.0.0.{i}"));
            time.Advance(SignInThrottle.Window / 3);
        }

        Assert.Equal(SignInRefusal.None, throttle.Check("clerk", "10.0.0.1"));
    }

    [Fact]
    public void One_address_guessing_across_names_is_throttled_and_addresses_kept_are_bounded()
    {
        FakeTimeProvider time = Clocks.At("2026-12-05T09:00:00+09:00");
        var throttle = new SignInThrottle(time, _store, SignInRealm.Operator);
        for (int i = 0; i < SignInThrottle.AddressFailures; i++)
        {
            throttle.RecordFailure(null, "10.9.9.9");
        }

        Assert.Equal(SignInRefusal.AddressThrottled, throttle.Check(null, "10.9.9.9"));
        Assert.Equal(SignInRefusal.None, throttle.Check(null, "10.9.9.8"));

        // Many more addresses than are kept: the oldest are forgotten first, and the newest still count.
        for (int i = 0; i < SignInThrottle.MaxAddresses + 500; i++)
        {
            time.Advance(TimeSpan.FromMilliseconds(1));
            throttle.RecordFailure(null, $"addr-{i}");
        }

        Assert.Equal(SignInThrottle.MaxAddresses, throttle.TrackedAddresses);
        Assert.Equal(SignInRefusal.None, throttle.Check(null, "10.9.9.9"));
    }
}
