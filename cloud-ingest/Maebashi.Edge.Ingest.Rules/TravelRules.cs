namespace Maebashi.Edge.Ingest.Rules;

/// <summary>
/// When two taps of one card are too far apart for the time between them (issue 15): a second card, most likely a
/// copy, is riding elsewhere. Flagged for an operator's review, never denied: clocks drift and people take trains.
/// </summary>
public static class TravelRules
{
    /// <summary>Faster than this between two taps is not a journey anyone makes in the prefecture by road or local rail.</summary>
    public const double MaxPlausibleKmPerHour = 120;

    /// <summary>Taps closer than this are never flagged: stops on either side of a street, a terminal's platforms.</summary>
    public const double MinKilometres = 1;
}
