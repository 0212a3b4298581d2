using Maebashi.Edge.Contract.Rules;
using Maebashi.Edge.Readers;
using Maebashi.Edge.Terminal.Config;
using Maebashi.Edge.ValidatorLink;

namespace Maebashi.Edge.Terminal.Tests;

/// <summary>The terminal side takes its rule windows from the contract, where the ingest takes them too.</summary>
[Trait("Category", "Architecture")]
public class RuleWindowTests
{
    [Fact]
    public void The_terminal_its_readers_and_its_validators_default_to_the_contracts_repeat_window()
    {
        Assert.Equal(RuleWindows.Repeat, new TerminalOptions().RepeatWindow);
        Assert.Equal(RuleWindows.Repeat, new ReaderSettings().RepeatWindow);
        Assert.Equal(RuleWindows.Repeat, TimeSpan.FromSeconds(new ValidatorLinkOptions().RepeatWindowSeconds));
    }

    [Fact]
    public void The_contracts_windows_are_the_rules_of_the_design()
    {
        Assert.Equal(TimeSpan.FromMinutes(180), RuleWindows.Trip);
        Assert.Equal(TimeSpan.FromMinutes(60), RuleWindows.Transfer);
        Assert.Equal(TimeSpan.FromSeconds(10), RuleWindows.Repeat);
        Assert.Equal(TimeSpan.FromMinutes(60), RuleWindows.EventOutGrace);
    }
}
