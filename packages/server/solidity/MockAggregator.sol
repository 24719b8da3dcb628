// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

/// @title MockAggregator
/// @notice Chainlink AggregatorV3Interface-compatible price feed for devnet chains. Anyone may set the answer.
contract MockAggregator {
    uint8 public immutable decimals;
    string public description;
    uint256 public constant version = 4;

    uint80 private latestRound;
    mapping(uint80 => Round) private rounds;

    struct Round {
        int256 answer;
        uint256 startedAt;
        uint256 updatedAt;
    }

    event AnswerUpdated(int256 indexed current, uint256 indexed roundId, uint256 updatedAt);

    error NoDataPresent();

    constructor(uint8 decimals_, string memory description_, int256 initialAnswer) {
        decimals = decimals_;
        description = description_;
        _setAnswer(initialAnswer);
    }

    function setAnswer(int256 answer) external {
        _setAnswer(answer);
    }

    function latestAnswer() external view returns (int256) {
        return rounds[latestRound].answer;
    }

    function latestRoundData()
        external
        view
        returns (uint80 roundId, int256 answer, uint256 startedAt, uint256 updatedAt, uint80 answeredInRound)
    {
        return getRoundData(latestRound);
    }

    function getRoundData(uint80 roundId_)
        public
        view
        returns (uint80 roundId, int256 answer, uint256 startedAt, uint256 updatedAt, uint80 answeredInRound)
    {
        Round memory round = rounds[roundId_];
        if (round.updatedAt == 0) revert NoDataPresent();
        return (roundId_, round.answer, round.startedAt, round.updatedAt, roundId_);
    }

    function _setAnswer(int256 answer) private {
        latestRound += 1;
        rounds[latestRound] = Round({answer: answer, startedAt: block.timestamp, updatedAt: block.timestamp});
        emit AnswerUpdated(answer, latestRound, block.timestamp);
    }
}
