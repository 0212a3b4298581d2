using Maebashi.Edge.Ingest.Rules;

namespace Maebashi.Edge.Ingest.Web;

/// <summary>
/// How a trip's fare was reached, step by step, as a clerk at the counter and the passenger on My Page read it:
/// adult fare → category → transfer → daily cap (the steps the rules kept on the trip). Japanese first, English beside it.
/// </summary>
public static class FareSteps
{
    public static IReadOnlyList<string> Of(Trip t)
    {
        if (t.Close == TripClose.Open)
        {
            return ["乗車中：降車または締めで確定 / Riding: settled at tap-off or when the trip closes"];
        }

        var steps = new List<string>(5)
        {
            $"{Start(t.Close)} {Yen(t.AdultFare)}",
            $"{CategoryLabel(t.Category)} → {Yen(t.CategoryFare)}",
        };
        if (t.Transfer)
        {
            steps.Add($"乗継割引 / Transfer discount −{Yen(t.TransferDiscount)}");
        }

        if (t.CapReduction > 0)
        {
            steps.Add($"1日の上限 / Daily cap −{Yen(t.CapReduction)}");
        }

        steps.Add($"運賃 {t.Charge}円 / Fare ¥{t.Charge}");
        return steps;
    }

    /// <summary>Where the adult fare came from: the stops tapped, or the highest fare for a missing tap.</summary>
    public static string Start(TripClose close) => close switch
    {
        TripClose.MissingTapOff => "降車タッチなし：乗車停留所からの最高運賃 / No tap-off: highest fare from the boarding stop",
        TripClose.UnmatchedAlight => "乗車タッチなし：降車停留所までの最高運賃 / No tap-on: highest fare to the alighting stop",
        _ => "大人運賃 / Adult fare",
    };

    public static string CategoryLabel(string category) => category switch
    {
        FareCategories.Child => "小児（半額） / Child (half fare)",
        FareCategories.Disability => "障害者割引（半額） / Disability (half fare)",
        FareCategories.Infant => "幼児（無料） / Infant (free)",
        _ => "大人 / Adult",
    };

    private static string Yen(long yen) => $"{yen}円 / ¥{yen}";
}
