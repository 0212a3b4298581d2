using Maebashi.Edge.Ingest.Store;

namespace Maebashi.Edge.Ingest.Web;

/// <summary>Why a sign-in attempt is refused before its password is even checked.</summary>
public enum SignInRefusal
{
    None,

    /// <summary><see cref="SignInThrottle.AccountFailures"/> failures within the window: locked until an admin unlocks it or the window passes.</summary>
    AccountLocked,

    /// <summary><see cref="SignInThrottle.AddressFailures"/> failures from one client address within the window.</summary>
    AddressThrottled,
}

/// <summary>
/// Failed sign-ins, per account and per client address, over a sliding window of <see cref="Window"/>. An account
/// locks after <see cref="AccountFailures"/> failures; the lock ends when an admin unlocks it, or when the window has
/// passed since it locked, so that a stranger's guesses cannot keep a clerk out for good. An account's failures and its
/// lock are kept in the store (<see cref="IConsoleStateStore.ChangeSignInFailures"/>), so that a failure counted by one
/// ingest worker counts on every other: switching workers does not evade a lock. An address is refused after
/// <see cref="AddressFailures"/> failures, which also slows one client guessing across many accounts; that count is
/// this worker's own (docs/decisions.md, "The web's state in the store"). State is bounded: accounts are only those
/// that exist (operators, citizens), each keeps at most its last failures, and at most <see cref="MaxAddresses"/>
/// addresses are tracked (expired ones dropped first, then the least recent).
/// </summary>
public sealed class SignInThrottle(TimeProvider time, IConsoleStateStore store, SignInRealm realm)
{
    public const int AccountFailures = 5;
    public const int AddressFailures = 20;
    public const int MaxAddresses = 10_000;
    public static readonly TimeSpan Window = TimeSpan.FromMinutes(15);

    private readonly Lock _lock = new();
    private readonly Dictionary<string, Failures> _addresses = new(StringComparer.Ordinal);

    /// <summary>Whether an attempt for <paramref name="account"/> (null: no such account) from <paramref name="address"/> may go on.</summary>
    public SignInRefusal Check(string? account, string address)
    {
        DateTimeOffset now = time.GetUtcNow();
        if (account is not null && store.SignInFailuresOf(realm, account) is { LockedAt: { } locked })
        {
            if (now - locked < Window)
            {
                return SignInRefusal.AccountLocked;
            }

            // The lock has run out: the account starts afresh (unless another worker counted anew meanwhile).
            store.ChangeSignInFailures(realm, account, f => f is { LockedAt: { } at } && now - at >= Window ? null : f);
        }

        lock (_lock)
        {
            return _addresses.TryGetValue(address, out Failures? f) && f.CountSince(now - Window) >= AddressFailures
                ? SignInRefusal.AddressThrottled
                : SignInRefusal.None;
        }
    }

    /// <summary>Counts a wrong password (or unknown name); true when this failure locked the account.</summary>
    public bool RecordFailure(string? account, string address)
    {
        DateTimeOffset now = time.GetUtcNow();
        lock (_lock)
        {
            if (!_addresses.TryGetValue(address, out Failures? byAddress))
            {
                MakeRoomForAddress(now);
                byAddress = new Failures();
                _addresses[address] = byAddress;
            }

            byAddress.Add(now, AddressFailures);
        }

        if (account is null)
        {
            return false;
        }

        bool lockedNow = false;
        store.ChangeSignInFailures(realm, account, f =>
        {
            // Run by the store under the account's lock: what another worker counted meanwhile is in f.
            List<DateTimeOffset> failures = [.. (f?.Failures ?? []).Append(now).TakeLast(AccountFailures)];
            lockedNow = f?.LockedAt is null && failures.Count(t => t > now - Window) >= AccountFailures;
            return new SignInFailures(failures, lockedNow ? now : f?.LockedAt);
        });
        return lockedNow;
    }

    /// <summary>A right password: the account's failures are forgotten (the address's are not).</summary>
    public void RecordSuccess(string account)
    {
        if (store.SignInFailuresOf(realm, account) is not null)
        {
            store.ChangeSignInFailures(realm, account, _ => null);
        }
    }

    /// <summary>Ends a lock (an admin's action); false when the account was not locked.</summary>
    public bool Unlock(string account)
    {
        DateTimeOffset now = time.GetUtcNow();
        bool wasLocked = false;
        store.ChangeSignInFailures(realm, account, f =>
        {
            wasLocked = f is { LockedAt: { } at } && now - at < Window;
            return null;
        });
        return wasLocked;
    }

    /// <summary>How many client addresses are remembered (never more than <see cref="MaxAddresses"/>).</summary>
    public int TrackedAddresses
    {
        get
        {
            lock (_lock)
            {
                return _addresses.Count;
            }
        }
    }

    /// <summary>The accounts locked now (on any worker), with when each locked.</summary>
    public IReadOnlyDictionary<string, DateTimeOffset> Locked() => store.LockedAccounts(realm, time.GetUtcNow() - Window);

    private void MakeRoomForAddress(DateTimeOffset now)
    {
        if (_addresses.Count < MaxAddresses)
        {
            return;
        }

        foreach (string stale in _addresses.Where(a => a.Value.CountSince(now - Window) == 0).Select(a => a.Key).ToList())
        {
            _addresses.Remove(stale);
        }

        if (_addresses.Count >= MaxAddresses)
        {
            _addresses.Remove(_addresses.MinBy(a => a.Value.Last).Key);
        }
    }

    /// <summary>The times of an address's last few failures (at most the number that matters).</summary>
    private sealed class Failures
    {
        private readonly Queue<DateTimeOffset> _at = new();

        public DateTimeOffset Last { get; private set; }

        public void Add(DateTimeOffset at, int keep)
        {
            _at.Enqueue(at);
            while (_at.Count > keep)
            {
                _at.Dequeue();
            }

            Last = at;
        }

        public int CountSince(DateTimeOffset since) => _at.Count(t => t > since);
    }
}
