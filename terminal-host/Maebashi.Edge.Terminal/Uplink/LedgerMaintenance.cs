using Maebashi.Edge.Terminal.Config;
using Maebashi.Edge.Terminal.Ledger;
using Microsoft.Extensions.Logging;

namespace Maebashi.Edge.Terminal.Uplink;

/// <summary>
/// Keeps the ledger small while the uplink runs: prunes acknowledged entries past their retention at the start of
/// each session and every <see cref="UplinkOptions.PruneInterval"/> after, and straight again while a prune took a
/// full round (a large backlog of old entries goes in rounds, each in slices between taps). The uplink's session
/// loop steps it on its monotonic clock.
/// </summary>
internal sealed class LedgerMaintenance
{
    /// <summary>Entries pruned at most per round.</summary>
    private const int PruneRound = 1000;

    private readonly TapLedger _ledger;
    private readonly UplinkOptions _options;
    private readonly ILogger _log;

    public LedgerMaintenance(TapLedger ledger, UplinkOptions options, ILogger log)
    {
        _ledger = ledger;
        _options = options;
        _log = log;
    }

    /// <summary>When the next round is due.</summary>
    public TimeSpan NextDue { get; private set; }

    /// <summary>A new session: the first round is due at once.</summary>
    public void Start(TimeSpan now) => NextDue = now;

    /// <summary>Runs a round when one is due.</summary>
    public void RunIfDue(TimeSpan now)
    {
        if (now < NextDue)
        {
            return;
        }

        int pruned = _ledger.Prune(PruneRound);
        if (pruned > 0)
        {
            _log.LogInformation("Pruned {Count} acknowledged entries past retention", pruned);
        }

        NextDue = now + (pruned >= PruneRound ? TimeSpan.Zero : _options.PruneInterval);
    }
}
