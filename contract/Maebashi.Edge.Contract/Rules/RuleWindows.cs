namespace Maebashi.Edge.Contract.Rules;

/// <summary>
/// The time windows of the city's rules (docs/contract.md §3), defined once. The terminal decides and shows taps with
/// them and the ingest rates them with them; were the two copies to drift, a passenger would be shown one thing
/// on the reader and charged another in the wallet.
/// </summary>
public static class RuleWindows
{
    /// <summary>
    /// How long a boarding stays open: an alight within it is matched to the boarding, and once it has passed the
    /// ingest's clock closes the trip as a missing tap-off. The terminal remembers boardings this long for the fare
    /// it shows on alighting, so the fare shown is the one the ingest will charge (docs/contract.md §3: 180 minutes).
    /// </summary>
    public static readonly TimeSpan Trip = TimeSpan.FromMinutes(180);

    /// <summary>
    /// A boarding on another route at most this long after a real alight is a transfer and earns the route's
    /// transfer discount (docs/contract.md §3: 60 minutes, inclusive).
    /// </summary>
    public static readonly TimeSpan Transfer = TimeSpan.FromMinutes(60);

    /// <summary>
    /// A tap of the same card at the same device within this time of its first tap is the same tap (docs/contract.md §3:
    /// 10 seconds). Readers, validators, the terminal and the ingest all use it, so a tap a validator resends after a
    /// restart, or a card waved twice, is counted once however it arrives.
    /// </summary>
    public static readonly TimeSpan Repeat = TimeSpan.FromSeconds(10);

    /// <summary>
    /// An event tap-out still counts this long after the event's window ends, for the points-per-hour rule
    /// (docs/contract.md §3: 60 minutes). The event site accepts the tap-out on the same terms as the ingest credits it.
    /// </summary>
    public static readonly TimeSpan EventOutGrace = TimeSpan.FromMinutes(60);
}
