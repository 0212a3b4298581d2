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
/// Failed console sign-ins, per account and per client address, over a sliding window of
/// <see cref="Window"/>. An account locks after <see cref="AccountFailures"/> failures; the lock ends when an admin
/// unlocks it, or when the window has passed since it locked, so that a stranger's guesses cannot keep a clerk out
/// for good. An address is refused after <see cref="AddressFailures"/> failures, which also slows one client
/// guessing across many accounts. State is bounded: accounts are only those of the operators file, each keeps at
/// most its last failures, and at most <see cref="MaxAddresses"/> addresses are tracked (expired ones dropped
/// first, then the least recent).
/// </summary>
public sealed class SignInThrottle(TimeProvider time)
{
    public const int AccountFailures = 5;
    public const int AddressFailures = 20;
    public const int MaxAddresses = 10_000;
    public static readonly TimeSpan Window = TimeSpan.FromMinutes(15);

    private readonly Lock _lock = new();
    private readonly Dictionary<string, Failures> _accounts = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Failures> _addresses = new(StringComparer.Ordinal);

    /// <summary>Whether an attempt for <paramref name="account"/> (null: no such operator) from <paramref name="address"/> may go on.</summary>
    public SignInRefusal Check(string? account, string address)
    {
        DateTimeOffset now = time.GetUtcNow();
        lock (_lock)
        {
            if (account is not null && _accounts.TryGetValue(account, out Failures? a) && a.LockedAt is { } locked)
            {
                if (now - locked < Window)
                {
                    return SignInRefusal.AccountLocked;
                }

                _accounts.Remove(account);
            }

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
            if (account is null)
            {
                return false;
            }

            if (!_accounts.TryGetValue(account, out Failures? byAccount))
            {
                byAccount = new Failures();
                _accounts[account] = byAccount;
            }

            byAccount.Add(now, AccountFailures);
            if (byAccount.LockedAt is null && byAccount.CountSince(now - Window) >= AccountFailures)
            {
                byAccount.LockedAt = now;
                return true;
            }

            return false;
        }
    }

    /// <summary>A right password: the account's failures are forgotten (the address's are not).</summary>
    public void RecordSuccess(string account)
    {
        lock (_lock)
        {
            _accounts.Remove(account);
        }
    }

    /// <summary>Ends a lock (an admin's action); false when the account was not locked.</summary>
    public bool Unlock(string account)
    {
        DateTimeOffset now = time.GetUtcNow();
        lock (_lock)
        {
            bool wasLocked = _accounts.TryGetValue(account, out Failures? a) && a.LockedAt is { } at && now - at < Window;
            _accounts.Remove(account);
            return wasLocked;
        }
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

    /// <summary>The accounts locked now, with when each locked.</summary>
    public IReadOnlyDictionary<string, DateTimeOffset> Locked()
    {
        DateTimeOffset now = time.GetUtcNow();
        lock (_lock)
        {
            return _accounts
                .Where(a => a.Value.LockedAt is { } at && now - at < Window)
                .ToDictionary(a => a.Key, a => a.Value.LockedAt!.Value, StringComparer.Ordinal);
        }
    }

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

    /// <summary>The times of the last few failures (at most the number that matters), and when the account locked.</summary>
    private sealed class Failures
    {
        private readonly Queue<DateTimeOffset> _at = new();

        public DateTimeOffset? LockedAt { get; set; }

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
